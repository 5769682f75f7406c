-- LUVN sees the clients whose assessment and plan it takes part in (R6); officers list their own
-- clients by state and due date. Rows written before this migration are filled from target groups.
ALTER TABLE clients ADD COLUMN luvn_participation_required boolean NOT NULL DEFAULT false;
UPDATE clients SET luvn_participation_required = target_groups && ARRAY[
    'international_protection', 'social_assistance', 'unaccompanied_minor', 'trafficking_victim'];
CREATE INDEX clients_worklist ON clients (responsible_organisation, state, assessment_due_on) WHERE NOT erased;
