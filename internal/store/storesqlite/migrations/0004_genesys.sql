-- The Genesys Cloud channel: one connection per organisation, one export
-- rule per campaign (with its progress), and the history of runs.
CREATE TABLE genesys_connections (
    org_id         TEXT NOT NULL PRIMARY KEY REFERENCES orgs (id),
    region         TEXT NOT NULL DEFAULT '',
    api_base_url   TEXT NOT NULL DEFAULT '',
    login_base_url TEXT NOT NULL DEFAULT '',
    client_id      TEXT NOT NULL,
    secret_sealed  TEXT NOT NULL, -- encrypted by the channel
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
) STRICT;

CREATE TABLE genesys_rules (
    org_id           TEXT    NOT NULL,
    campaign_id      TEXT    NOT NULL PRIMARY KEY,
    rule             TEXT    NOT NULL, -- JSON, owned by the channel
    interval_seconds INTEGER NOT NULL,
    enabled          INTEGER NOT NULL,
    progress         TEXT    NOT NULL DEFAULT '', -- JSON, owned by the channel
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    FOREIGN KEY (org_id, campaign_id) REFERENCES campaigns (org_id, id)
) STRICT;

CREATE TABLE genesys_runs (
    id          TEXT NOT NULL PRIMARY KEY,
    org_id      TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    report      TEXT NOT NULL, -- JSON, owned by the channel
    error       TEXT NOT NULL DEFAULT '',
    FOREIGN KEY (org_id, campaign_id) REFERENCES campaigns (org_id, id)
) STRICT;

CREATE INDEX genesys_runs_campaign ON genesys_runs (org_id, campaign_id, started_at);
