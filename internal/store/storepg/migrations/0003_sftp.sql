-- Accounts of the hosted SFTP server.
CREATE TABLE sftp_accounts (
    id              text        NOT NULL PRIMARY KEY,
    org_id          text        NOT NULL REFERENCES orgs (id),
    username        text        NOT NULL UNIQUE, -- lower case
    password_hash   text        NOT NULL DEFAULT '',
    authorized_keys text        NOT NULL DEFAULT '',
    campaign_ids    jsonb       NOT NULL DEFAULT '[]', -- empty = all of the org's
    disabled        boolean     NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL
);

CREATE INDEX sftp_accounts_org ON sftp_accounts (org_id, username);

-- Outcome of each SFTP upload, rendered as _results/YYYY-MM-DD.csv and _rejected/<name>.error.txt.
CREATE TABLE sftp_receipts (
    id          text        NOT NULL PRIMARY KEY,
    org_id      text        NOT NULL REFERENCES orgs (id),
    campaign_id text        NOT NULL,
    file_name   text        NOT NULL,
    call_id     text        NOT NULL DEFAULT '',
    status      text        NOT NULL,
    reason      text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL
);

CREATE INDEX sftp_receipts_campaign ON sftp_receipts (org_id, campaign_id, created_at);
