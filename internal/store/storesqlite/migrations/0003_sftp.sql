-- Accounts of the hosted SFTP server.
CREATE TABLE sftp_accounts (
    id              TEXT    NOT NULL PRIMARY KEY,
    org_id          TEXT    NOT NULL REFERENCES orgs (id),
    username        TEXT    NOT NULL UNIQUE, -- lower case
    password_hash   TEXT    NOT NULL DEFAULT '',
    authorized_keys TEXT    NOT NULL DEFAULT '',
    campaign_ids    TEXT    NOT NULL DEFAULT '[]', -- JSON array; empty = all of the org's
    disabled        INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT    NOT NULL
) STRICT;

CREATE INDEX sftp_accounts_org ON sftp_accounts (org_id, username);

-- Outcome of each SFTP upload, rendered as _results/YYYY-MM-DD.csv and _rejected/<name>.error.txt.
CREATE TABLE sftp_receipts (
    id          TEXT NOT NULL PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    campaign_id TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    call_id     TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
) STRICT;

CREATE INDEX sftp_receipts_campaign ON sftp_receipts (org_id, campaign_id, created_at);
