-- Intake's vault: the only place that holds a client's personal data (name, birth date, contact
-- details). Events, logs and error messages carry the pseudonymous client_id instead.
-- Per-client encryption and erasure come with the full intake rules.
CREATE TABLE clients (
    client_id         uuid        PRIMARY KEY,
    name              text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    date_of_birth     date        NOT NULL,
    email             text        CHECK (char_length(email) <= 254),
    phone             text        CHECK (char_length(phone) <= 32),
    home_municipality text        NOT NULL CHECK (home_municipality IN ('raseborg', 'hango', 'inga')),
    languages         text[]      NOT NULL CHECK (cardinality(languages) >= 1),
    created_at        timestamptz NOT NULL DEFAULT now()
);
