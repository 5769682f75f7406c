-- Registrations sent with an Idempotency-Key: a repeat of the same request gets the first answer
-- instead of being applied again. `request_digest` is an HMAC (the vault's index key) of the request,
-- never the request itself; the outcome holds ids only. Kept 7 days (intake's scheduled job).
CREATE TABLE idempotency_keys (
    principal      text        NOT NULL,
    key            text        NOT NULL CHECK (char_length(key) BETWEEN 8 AND 128),
    request_digest bytea       NOT NULL,
    outcome        jsonb       NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
