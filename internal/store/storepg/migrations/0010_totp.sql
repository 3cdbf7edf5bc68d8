-- Two-factor authentication of web users: TOTP secrets (sealed by the web
-- application), single-use recovery codes (hashes) and the organisation's
-- requirement.
CREATE TABLE user_totp (
    user_id       text        NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    org_id        text        NOT NULL REFERENCES orgs (id),
    secret_sealed text        NOT NULL, -- encrypted by the web application
    enrolled      boolean     NOT NULL,
    last_step     bigint      NOT NULL, -- step of the last accepted code, 0: none
    updated_at    timestamptz NOT NULL
);

CREATE TABLE user_recovery_codes (
    user_id   text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id    text        NOT NULL REFERENCES orgs (id),
    code_hash text        NOT NULL,
    used_at   timestamptz, -- NULL while unused
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE org_security (
    org_id             text        NOT NULL PRIMARY KEY REFERENCES orgs (id),
    require_two_factor boolean     NOT NULL,
    updated_at         timestamptz NOT NULL
);
