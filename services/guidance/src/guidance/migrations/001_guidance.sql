-- Guidance's tables. The event store (the runtime's) holds every change; these are the current state.

-- The catalogue: each service's current version (its whole CatalogueServiceVersion payload in `spec`).
CREATE TABLE catalogue_services (
    service_code       text    PRIMARY KEY,
    catalogue_version  integer NOT NULL CHECK (catalogue_version >= 1),
    kind               text    NOT NULL,
    provider_code      text    NOT NULL,
    spec               jsonb   NOT NULL,
    withdrawn_on       date,
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- Guidance hours per place and kind (drop-in, appointment), shown by the public guide.
CREATE TABLE opening_hours (
    place              text    NOT NULL,
    kind               text    NOT NULL CHECK (kind IN ('drop_in', 'appointment')),
    catalogue_version  integer NOT NULL CHECK (catalogue_version >= 1),
    slots              jsonb   NOT NULL,
    PRIMARY KEY (place, kind)
);

-- Plans as planning published them (read model), and whether R12's overdue event was published.
CREATE TABLE plans (
    plan_id                  uuid PRIMARY KEY,
    client_id                uuid NOT NULL,
    responsible_organisation text NOT NULL,
    drawn_up_on              date NOT NULL,
    ends_on                  date NOT NULL,
    ended_on                 date,
    r12_due_on               date NOT NULL,
    r12_overdue_published    boolean NOT NULL DEFAULT false
);
CREATE INDEX plans_client ON plans (client_id);
CREATE INDEX plans_r12 ON plans (r12_due_on) WHERE NOT r12_overdue_published AND ended_on IS NULL;

-- Referrals (each one's events are its own stream in the event store).
CREATE TABLE referrals (
    referral_id             uuid PRIMARY KEY,
    client_id               uuid NOT NULL,
    service_code            text NOT NULL,
    provider_code           text NOT NULL,
    kind                    text NOT NULL,
    plan_id                 uuid,
    language                text NOT NULL,
    referring_organisation  text NOT NULL,
    state                   text NOT NULL,
    starts_on               date,
    referred_on             date NOT NULL,
    version                 integer NOT NULL,
    note                    bytea,          -- free text, sealed under the client's key (backbone.clientkeys)
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX referrals_client ON referrals (client_id);
CREATE INDEX referrals_provider ON referrals (provider_code, state);
CREATE INDEX referrals_plan ON referrals (plan_id) WHERE plan_id IS NOT NULL;

-- Who holds a place in a start and who waits, in order (`seq`): first come, first served.
-- `start_key` is the start's day (ISO) or 'continuous' for services with continuous admission.
CREATE TABLE start_places (
    referral_id   uuid    PRIMARY KEY REFERENCES referrals (referral_id),
    service_code  text    NOT NULL,
    start_key     text    NOT NULL,
    holds         boolean NOT NULL,
    seq           bigserial NOT NULL
);
CREATE INDEX start_places_start ON start_places (service_code, start_key, seq);

-- The employment region's agreements that a registered jobseeker may start voluntary studies.
CREATE TABLE study_agreements (
    client_id     uuid NOT NULL,
    service_code  text NOT NULL,
    agreed_on     date NOT NULL,
    organisation  text NOT NULL,
    PRIMARY KEY (client_id, service_code)
);

-- The guidance log. A visit by someone who is not a client has no client_id: it is a count.
CREATE TABLE visits (
    visit_id      uuid PRIMARY KEY,
    client_id     uuid,
    visited_on    date    NOT NULL,
    mode          text    NOT NULL,
    place         text,
    topics        text[]  NOT NULL,
    language      text    NOT NULL,
    interpreter   boolean NOT NULL,
    visitors      integer NOT NULL CHECK (visitors >= 1),
    organisation  text    NOT NULL,
    note          bytea,                    -- sealed under the client's key; never for anonymous visits
    CHECK (client_id IS NOT NULL OR note IS NULL)
);
CREATE INDEX visits_client ON visits (client_id) WHERE client_id IS NOT NULL;
CREATE INDEX visits_day ON visits (visited_on);
