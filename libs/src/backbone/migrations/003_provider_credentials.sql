-- Course providers (guidance's catalogue) hold credentials too: principal `provider:<code>`, role `provider`.
ALTER TABLE api_credentials DROP CONSTRAINT api_credentials_principal_check;
ALTER TABLE api_credentials ADD CONSTRAINT api_credentials_principal_check
    CHECK (principal ~ '^[a-z][a-z0-9-]{0,63}$' OR principal ~ '^provider:[a-z][a-z0-9-]{1,40}$');
ALTER TABLE api_credentials DROP CONSTRAINT api_credentials_role_check;
ALTER TABLE api_credentials ADD CONSTRAINT api_credentials_role_check
    CHECK (role IN ('officer', 'system', 'operator', 'service', 'provider'));
