-- The operator console's own tables. None of them is part of the hash chain; none holds personal data.

-- Dead letters of every service, as the audit read them from deadletter.<service>.v1. The message
-- itself stays on Kafka: only its size and SHA-256 are kept here, never its content.
CREATE TABLE dead_letters (
    id               bigserial   PRIMARY KEY,
    service          text        NOT NULL,
    dl_topic         text        NOT NULL,
    dl_partition     integer     NOT NULL,
    dl_offset        bigint      NOT NULL,
    origin_topic     text,
    origin_partition integer,
    origin_offset    bigint,
    consumer         text,
    reason           text        NOT NULL,
    error_class      text,
    failed_at        timestamptz,
    received_at      timestamptz NOT NULL,
    event_id         uuid,        -- when the message was a readable envelope: its ids and type, no payload
    event_type       text,
    client_id        uuid,
    content_sha256   bytea       NOT NULL,
    content_size     integer     NOT NULL,
    UNIQUE (dl_topic, dl_partition, dl_offset)
);
CREATE INDEX dead_letters_service ON dead_letters (service, id);

-- Each redrive an operator asked for, and what the owning service answered.
CREATE TABLE redrive_requests (
    id            bigserial   PRIMARY KEY,
    dead_letter   bigint      NOT NULL REFERENCES dead_letters (id),
    requested_by  text        NOT NULL,   -- the credential's key id, pseudonymous
    requested_at  timestamptz NOT NULL,
    outcome       text,                   -- applied | already-applied | dead-lettered-again | not-found | error
    detail        text,
    answered_at   timestamptz
);
CREATE INDEX redrive_requests_dead_letter ON redrive_requests (dead_letter, id);

-- Consumer lag, sampled periodically for the chart of the last hour.
CREATE TABLE lag_samples (
    sampled_at  timestamptz NOT NULL,
    group_id    text        NOT NULL,
    topic       text        NOT NULL,
    partition   integer     NOT NULL,
    committed   bigint,
    end_offset  bigint      NOT NULL,
    lag         bigint      NOT NULL,
    PRIMARY KEY (sampled_at, group_id, topic, partition)
);

-- Results of `verify` (command line or console), newest last.
CREATE TABLE verifications (
    id            bigserial   PRIMARY KEY,
    verified_at   timestamptz NOT NULL,
    verified      bigint      NOT NULL,
    head_seq      bigint      NOT NULL,
    broken_seq    bigint,
    broken_what   text,
    anchors       integer     NOT NULL DEFAULT 0,
    anchor_seq    bigint                  -- the newest anchor checked
);
