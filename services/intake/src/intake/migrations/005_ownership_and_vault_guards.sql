-- Issue 8: who may change who owns a client, proposed changes instead of overwrites, and a vault
-- that cannot be written to again after an erasure.

-- A client's open claim by a receiving municipality (one at a time) and the last change of
-- responsibility, for the worklists and the jobs (no personal data: codes, dates and ids).
ALTER TABLE clients ADD COLUMN claim_id uuid;
ALTER TABLE clients ADD COLUMN claimed_by text;
ALTER TABLE clients ADD COLUMN claim_deadline date;
ALTER TABLE clients ADD COLUMN responsibility_changed_on date;
CREATE INDEX clients_open_claims ON clients (claim_deadline) WHERE claim_id IS NOT NULL;

-- Every handover of responsibility, so the organisation a client left sees it on its worklist.
CREATE TABLE handovers (
    event_id                 uuid        PRIMARY KEY,
    client_id                uuid        NOT NULL,
    previous_organisation    text,
    responsible_organisation text        NOT NULL,
    reason                   text        NOT NULL,
    effective_on             date        NOT NULL,
    recorded_at              timestamptz NOT NULL
);
CREATE INDEX handovers_from ON handovers (previous_organisation, recorded_at);
CREATE INDEX handovers_to ON handovers (responsible_organisation, recorded_at);

-- Erased clients: the vault refuses to store for them again (a late edit must not re-create a key).
CREATE TABLE vault_erased (
    client_id uuid        PRIMARY KEY,
    erased_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO vault_erased (client_id) SELECT client_id FROM clients WHERE erased ON CONFLICT DO NOTHING;

-- Each store of a record bumps its revision: the ETag of GET /personal-data, checked by If-Match.
ALTER TABLE vault_records ADD COLUMN revision integer NOT NULL DEFAULT 1;

-- Personal data sent by someone other than the responsible organisation for a known person: kept
-- apart, encrypted under the client's data key (so erasure shreds it too), until an officer of the
-- responsible organisation accepts or rejects it. Decided proposals keep their metadata only.
CREATE TABLE proposed_changes (
    change_id   uuid        PRIMARY KEY,
    client_id   uuid        NOT NULL REFERENCES vault_keys ON DELETE CASCADE,
    proposed_by text        NOT NULL,
    source      text        NOT NULL,
    fields      text[]      NOT NULL,
    ciphertext  bytea,
    proposed_at timestamptz NOT NULL,
    decided_at  timestamptz,
    decision    text CHECK (decision IN ('accepted', 'rejected')),
    decided_by  text,
    CHECK ((decision IS NULL) = (ciphertext IS NOT NULL))
);
CREATE INDEX proposed_changes_open ON proposed_changes (client_id) WHERE decision IS NULL;
