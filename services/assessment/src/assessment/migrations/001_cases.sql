-- Assessment's own tables: its cases and the officers' notes (the client view is backbone's part).

-- One case per client; `state` holds the whole aggregate, the other columns are for queries.
CREATE TABLE IF NOT EXISTS cases (
    assessment_id             uuid PRIMARY KEY,
    client_id                 uuid NOT NULL UNIQUE,
    version                   integer NOT NULL,
    status                    text NOT NULL,
    due_on                    date NOT NULL,
    place                     text,
    responsible_organisation  text NOT NULL,
    luvn_required             boolean NOT NULL,
    state                     jsonb NOT NULL,
    updated_at                timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_worklist ON cases (responsible_organisation, due_on, assessment_id)
    WHERE status <> 'closed';
CREATE INDEX IF NOT EXISTS cases_due ON cases (due_on) WHERE status IN ('open', 'scheduled');

-- Officers' free-text notes: sealed under the client's own key (backbone.clientkeys), never in clear.
CREATE TABLE IF NOT EXISTS case_notes (
    note_id        uuid PRIMARY KEY,
    assessment_id  uuid NOT NULL REFERENCES cases (assessment_id),
    client_id      uuid NOT NULL,
    organisation   text NOT NULL,
    actor          text NOT NULL,
    written_at     timestamptz NOT NULL,
    sealed         bytea NOT NULL
);
CREATE INDEX IF NOT EXISTS case_notes_case ON case_notes (assessment_id, written_at);
CREATE INDEX IF NOT EXISTS case_notes_client ON case_notes (client_id);
