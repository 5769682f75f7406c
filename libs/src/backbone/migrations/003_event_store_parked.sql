-- Events Kafka refuses for good (too large, malformed): the relay parks them here, logs an alert and
-- goes on with the next ones (see backbone/relay.py). The event itself stays in event_store.
CREATE TABLE event_store_parked (
    position   bigint      PRIMARY KEY,              -- event_store.position of the parked event
    event_id   uuid        NOT NULL,
    type       text        NOT NULL,
    size       integer     NOT NULL,
    error      text        NOT NULL,
    parked_at  timestamptz NOT NULL DEFAULT now()
);
