-- The audit trail: every event the services published, in the order audit received them, each
-- record holding the hash of the one before (see audit/domain/chain.py for what is hashed).

CREATE TABLE audit_trail (
    seq            bigint      PRIMARY KEY CHECK (seq >= 1),  -- gap-free from 1: handed out under the head's lock
    event_id       uuid        NOT NULL UNIQUE,
    type           text        NOT NULL,
    schema_version integer     NOT NULL,
    producer       text        NOT NULL,
    organisation   text        NOT NULL,
    actor          text        NOT NULL,
    client_id      uuid        NOT NULL,
    occurred_at    timestamptz NOT NULL,
    recorded_at    timestamptz NOT NULL,
    topic          text        NOT NULL,
    partition      integer     NOT NULL,
    "offset"       bigint      NOT NULL,
    envelope       bytea       NOT NULL,                      -- the envelope's canonical JSON bytes
    received_at    timestamptz NOT NULL,
    prev_hash      bytea       NOT NULL CHECK (length(prev_hash) = 32),
    hash           bytea       NOT NULL UNIQUE CHECK (length(hash) = 32)
);
CREATE INDEX audit_trail_client ON audit_trail (client_id, seq);

-- One row: the last record appended. Appends lock it FOR UPDATE, so they run one at a time, seq
-- has no gaps (a rolled-back append rolls the head back too) and the chain stays linear. It also
-- lets verify notice records cut off the end of the table, which the chain alone cannot show.
CREATE TABLE audit_trail_head (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_seq  bigint  NOT NULL DEFAULT 0,
    last_hash bytea   NOT NULL DEFAULT decode(repeat('00', 32), 'hex')  -- the genesis hash
);
INSERT INTO audit_trail_head DEFAULT VALUES;

-- Append-only at the database level. The service role owns the table, so it could grant itself the
-- privileges back or disable the trigger, and a superuser bypasses both: that is why `verify` exists.
CREATE FUNCTION audit_trail_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_trail is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_trail_append_only BEFORE UPDATE OR DELETE ON audit_trail
    FOR EACH ROW EXECUTE FUNCTION audit_trail_refuse_change();
CREATE TRIGGER audit_trail_no_truncate BEFORE TRUNCATE ON audit_trail
    FOR EACH STATEMENT EXECUTE FUNCTION audit_trail_refuse_change();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_trail FROM CURRENT_USER;
REVOKE DELETE, TRUNCATE ON audit_trail_head FROM CURRENT_USER;
