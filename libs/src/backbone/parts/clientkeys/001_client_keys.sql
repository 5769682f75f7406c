-- One data key per client for the free text a service keeps about them (backbone/clientkeys.py).
-- A shredded key leaves a tombstone (wrapped_key NULL) so no new key is ever made for that client.
CREATE TABLE client_keys (
    client_id      uuid PRIMARY KEY,
    master_key_id  text,
    wrapped_key    bytea,
    created_at     timestamptz NOT NULL DEFAULT now(),
    shredded_at    timestamptz,
    CHECK ((wrapped_key IS NULL) = (shredded_at IS NOT NULL)),
    CHECK ((wrapped_key IS NULL) = (master_key_id IS NULL))
);
