-- Intake's own tables after the walking skeleton. The skeleton's `clients` table kept personal data
-- in plain columns; it held pre-release demo data only, which is dropped, not migrated.
DROP TABLE clients;

-- Each client's state as the events left it (rebuilt from the stream on every command; this table
-- serves queries and the retention job). No personal data: codes, dates and ids.
CREATE TABLE clients (
    client_id                uuid        PRIMARY KEY,
    version                  integer     NOT NULL CHECK (version >= 1),
    home_municipality        text        NOT NULL,
    languages                text[]      NOT NULL,
    target_groups            text[]      NOT NULL,
    sources                  text[]      NOT NULL,
    responsible_organisation text        NOT NULL,
    registered_jobseeker     boolean     NOT NULL,
    state                    text        NOT NULL,
    window_ends_on           date,
    assessment_due_on        date,
    relationship_ended_on    date,
    erase_on                 date,
    erased                   boolean     NOT NULL DEFAULT false,
    merged_into              uuid,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX clients_due_for_erasure ON clients (erase_on) WHERE NOT erased AND erase_on IS NOT NULL;
CREATE INDEX clients_by_organisation ON clients (responsible_organisation);

-- The vault. A client's data key, wrapped by the master key named by master_key_id, is kept apart
-- from the data it encrypts: deleting the key row makes every copy of the data unreadable,
-- backups included (crypto-shredding), and cascades to the data and the match keys.
CREATE TABLE vault_keys (
    client_id     uuid        PRIMARY KEY,
    master_key_id text        NOT NULL,
    wrapped_key   bytea       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE vault_records (
    client_id  uuid        PRIMARY KEY REFERENCES vault_keys ON DELETE CASCADE,
    ciphertext bytea       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Keyed hashes (HMAC) of what identifies a person, to find the same person again without
-- decrypting anyone. One identity code belongs to one client: the database enforces it.
CREATE TABLE vault_match_keys (
    client_id uuid  NOT NULL REFERENCES vault_keys ON DELETE CASCADE,
    kind      text  NOT NULL CHECK (kind IN ('identity_code', 'name_birth_municipality')),
    digest    bytea NOT NULL,
    PRIMARY KEY (kind, digest, client_id)
);
CREATE UNIQUE INDEX one_person_one_client ON vault_match_keys (digest) WHERE kind = 'identity_code';
CREATE INDEX vault_match_keys_by_client ON vault_match_keys (client_id);

-- Every read of personal data: who (credential), as what, why, which fields. Kept after erasure.
CREATE TABLE vault_access_log (
    id          bigserial   PRIMARY KEY,
    client_id   uuid        NOT NULL,
    principal   text        NOT NULL,
    role        text        NOT NULL,
    key_id      text        NOT NULL,
    purpose     text        NOT NULL CHECK (char_length(purpose) BETWEEN 1 AND 64),
    fields      text[]      NOT NULL,
    accessed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX vault_access_log_by_client ON vault_access_log (client_id, accessed_at);

-- Possible duplicates awaiting an officer, and how they were resolved.
CREATE TABLE duplicate_flags (
    client_id       uuid        NOT NULL,
    other_client_id uuid        NOT NULL,
    matched_on      text        NOT NULL,
    flagged_at      timestamptz NOT NULL,
    resolved_at     timestamptz,
    resolution      text CHECK (resolution IN ('merged', 'not_duplicate')),
    PRIMARY KEY (client_id, other_client_id)
);
CREATE INDEX duplicate_flags_open ON duplicate_flags (client_id) WHERE resolved_at IS NULL;
