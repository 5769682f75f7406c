-- How far intake has read its own event topic for `ClientErased` (per partition). It lives in the
-- database it protects: restore an old dump and the offsets come back with it, so intake re-reads
-- every erasure published since the dump and applies it again before it serves anything.
CREATE TABLE erasure_replay_offsets (
    topic       text    NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint  NOT NULL CHECK (next_offset >= 0),
    PRIMARY KEY (topic, partition)
);
