-- A consuming service's read model of intake's clients (backbone/clientview.py): pseudonymous
-- attributes only, exactly as intake published them.
CREATE TABLE client_view (
    client_id                   uuid PRIMARY KEY,
    responsible_organisation    text    NOT NULL,
    home_municipality           text    NOT NULL,
    languages                   text[]  NOT NULL,
    target_groups               text[]  NOT NULL,
    state                       text    NOT NULL,
    registered_jobseeker        boolean NOT NULL,
    luvn_participation_required boolean NOT NULL,
    window_ends_on              date    NOT NULL,
    registered_on               date,
    assessment_due_on           date,
    responsible_since           date,
    relationship_ended_on       date,
    erased_on                   date,
    merged_into                 uuid,
    last_event_id               uuid    NOT NULL,
    updated_at                  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX client_view_responsible ON client_view (responsible_organisation) WHERE erased_on IS NULL;
