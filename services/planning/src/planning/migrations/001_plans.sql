-- Planning's query tables, kept beside the event store in the same transaction as each plan's events.
-- Codes, dates and pseudonymous ids only; free text lives in plan_notes, encrypted per client.
CREATE TABLE plans (
    plan_id          uuid PRIMARY KEY,
    opened_seq       bigserial   NOT NULL,   -- the order the client's plans were opened in
    client_id        uuid        NOT NULL,
    version          integer     NOT NULL,
    status           text        NOT NULL CHECK (status IN ('to_be_drawn_up', 'in_force', 'ended')),
    owner            text        NOT NULL,
    correlation_id   uuid        NOT NULL,
    last_event_id    uuid        NOT NULL,
    opened_on        date,
    due_on           date,
    latest_on        date,
    starts_on        date,
    ends_on          date,
    first_starts_on  date,
    maximum_on       date,
    maximum_rule     text,
    review_due_on    date,
    referrals_due_on date,
    luvn_participation boolean  NOT NULL DEFAULT false,
    services         text[]      NOT NULL DEFAULT '{}',
    ended_on         date,
    end_reason       text,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
-- One plan at a time per client: a plan to be drawn up or in force.
CREATE UNIQUE INDEX plans_one_open_per_client ON plans (client_id) WHERE status <> 'ended';
CREATE INDEX plans_owner_status ON plans (owner, status);

-- Referrals guidance made for a plan's services (R12), from guidance's ReferralMade.
CREATE TABLE plan_referrals (
    plan_id      uuid NOT NULL,
    service_code text NOT NULL,
    referral_id  uuid NOT NULL,
    referred_on  date NOT NULL,
    PRIMARY KEY (plan_id, service_code)
);

-- Deadlines already published as missed, so each is published once (R10-R13).
CREATE TABLE plan_deadlines_missed (
    plan_id      uuid NOT NULL,
    deadline     text NOT NULL,
    due_on       date NOT NULL,
    service_code text NOT NULL DEFAULT '',
    PRIMARY KEY (plan_id, deadline, due_on, service_code)
);

-- The plan's free-text notes (why, in words), encrypted under the client's own key (backbone.clientkeys);
-- deleted, and the key shredded, when intake erases the client (R29).
CREATE TABLE plan_notes (
    note_id     uuid PRIMARY KEY,
    plan_id     uuid        NOT NULL,
    client_id   uuid        NOT NULL,
    event_id    uuid        NOT NULL,
    ciphertext  bytea       NOT NULL,
    written_by  text        NOT NULL,
    written_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX plan_notes_plan ON plan_notes (plan_id);
CREATE INDEX plan_notes_client ON plan_notes (client_id);

-- Assessments completed before intake's registration of their client reached planning (the topics are
-- consumed independently): kept here and acted on when the client arrives, so nothing waits or is lost.
CREATE TABLE pending_assessments (
    event_id    uuid PRIMARY KEY,
    client_id   uuid        NOT NULL,
    envelope    bytea       NOT NULL,   -- the AssessmentCompleted envelope as received (codes and ids only)
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pending_assessments_client ON pending_assessments (client_id);
