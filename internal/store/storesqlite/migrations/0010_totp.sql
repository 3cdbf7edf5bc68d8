-- Two-factor authentication of web users: TOTP secrets (sealed by the web
-- application), single-use recovery codes (hashes) and the organisation's
-- requirement.
CREATE TABLE user_totp (
    user_id       TEXT    NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    org_id        TEXT    NOT NULL REFERENCES orgs (id),
    secret_sealed TEXT    NOT NULL, -- encrypted by the web application
    enrolled      INTEGER NOT NULL,
    last_step     INTEGER NOT NULL, -- step of the last accepted code, 0: none
    updated_at    TEXT    NOT NULL
) STRICT;

CREATE TABLE user_recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id    TEXT NOT NULL REFERENCES orgs (id),
    code_hash TEXT NOT NULL,
    used_at   TEXT, -- NULL while unused
    PRIMARY KEY (user_id, code_hash)
) STRICT;

CREATE TABLE org_security (
    org_id             TEXT    NOT NULL PRIMARY KEY REFERENCES orgs (id),
    require_two_factor INTEGER NOT NULL,
    updated_at         TEXT    NOT NULL
) STRICT;
