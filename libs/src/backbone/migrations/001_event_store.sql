-- The event store of one service, which is also its outbox (see backbone/eventstore.py).
CREATE TABLE event_store (
    id           bigserial PRIMARY KEY,            -- allocation order; not commit order
    position     bigint UNIQUE,                    -- gap-free commit order, set by the sequencer
    stream_id    uuid        NOT NULL,
    version      integer     NOT NULL CHECK (version >= 1),
    event_id     uuid        NOT NULL UNIQUE,
    client_id    uuid        NOT NULL,
    type         text        NOT NULL,
    envelope     bytea       NOT NULL,             -- canonical JSON bytes, published as they are
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (stream_id, version)
);
CREATE INDEX event_store_unsequenced ON event_store (id) WHERE position IS NULL;

-- One row: the last position handed out and the last position published to Kafka.
CREATE TABLE event_store_cursor (
    singleton          boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_position      bigint NOT NULL DEFAULT 0,
    published_position bigint NOT NULL DEFAULT 0
);
INSERT INTO event_store_cursor DEFAULT VALUES;

-- Events this service's consumers have applied, written in the same transaction as the effects.
CREATE TABLE inbox (
    consumer     text        NOT NULL,
    event_id     uuid        NOT NULL,
    topic        text        NOT NULL,
    partition    integer     NOT NULL,
    "offset"     bigint      NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
