-- Credentials for a service's HTTP API, one per calling system or desk (see backbone/auth/).
-- `label` says which system or desk holds it ("Hanko intake desk"), never a person's name.
-- Only the SHA-256 of each token's secret is kept: the token itself is shown once, at issue.
CREATE TABLE api_credentials (
    key_id       text        PRIMARY KEY CHECK (key_id ~ '^[A-Za-z0-9]{12}$'),
    principal    text        NOT NULL CHECK (principal ~ '^[a-z][a-z0-9-]{0,63}$'),
    role         text        NOT NULL CHECK (role IN ('officer', 'system', 'operator', 'service')),
    label        text        NOT NULL CHECK (length(label) BETWEEN 1 AND 200 AND label = btrim(label)),
    secret_hash  bytea       NOT NULL CHECK (length(secret_hash) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz CHECK (expires_at >= created_at),
    revoked_at   timestamptz,
    last_used_at timestamptz
);
CREATE INDEX api_credentials_principal ON api_credentials (principal, role);
