-- Notifications keeps no personal data: no names, addresses, phone numbers, e-mail addresses or
-- message texts. Contact details are read from intake at send time and forgotten after the send;
-- a message is rendered again from its template and these parameters (codes, dates, times).

-- What notifications knows of a client is backbone.clientview's `client_view` (codes only).

-- A client's "not on this channel" (recorded here, on the client's request).
CREATE TABLE opt_outs (
    client_id   uuid        NOT NULL,
    channel     text        NOT NULL CHECK (channel IN ('email', 'sms', 'letter')),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, channel)
);

-- One row per message; its id is derived from the triggering event and the template, so an event
-- handled twice queues it once. State is written before and after every attempt.
CREATE TABLE notifications (
    notification_id  uuid        PRIMARY KEY,
    client_id        uuid        NOT NULL,
    event_id         uuid        NOT NULL,
    correlation_id   uuid        NOT NULL,
    template_code    text        NOT NULL,
    channels         text[]      NOT NULL,
    params           jsonb       NOT NULL DEFAULT '{}',
    subject_id       text,
    organisation     text        NOT NULL,
    state            text        NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'cancelled', 'printable')),
    channel          text        CHECK (channel IN ('email', 'sms', 'letter')),
    language         text,
    fell_back_from   text,
    segments         int,
    encoding         text,
    provider_ref     text,
    attempts         int         NOT NULL DEFAULT 0,
    not_before       timestamptz NOT NULL,
    next_attempt_at  timestamptz NOT NULL,
    lease_until      timestamptz,
    last_error       text,
    failure_reason   text,
    stream_version   int         NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    delivered_at     timestamptz
);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE state = 'queued';
CREATE INDEX notifications_leased ON notifications (lease_until) WHERE state = 'sending';
CREATE INDEX notifications_client ON notifications (client_id);
CREATE INDEX notifications_provider_ref ON notifications (provider_ref) WHERE provider_ref IS NOT NULL;
