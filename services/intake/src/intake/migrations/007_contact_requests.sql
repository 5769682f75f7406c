-- The public form's contact requests are ClientRegistered / ClientSourceAdded events of source
-- `own_request`, found by the reference the person was given (the registration's correlation id).
-- The worklist reads them from the event store; this index keeps that read to the registrations.
CREATE INDEX IF NOT EXISTS event_store_registrations ON event_store (recorded_at)
    WHERE type IN ('ClientRegistered', 'ClientSourceAdded');
