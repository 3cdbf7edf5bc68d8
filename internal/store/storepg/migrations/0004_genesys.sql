-- The Genesys Cloud channel: one connection per organisation, one export
-- rule per campaign (with its progress), and the history of runs.
CREATE TABLE genesys_connections (
    org_id         text        NOT NULL PRIMARY KEY REFERENCES orgs (id),
    region         text        NOT NULL DEFAULT '',
    api_base_url   text        NOT NULL DEFAULT '',
    login_base_url text        NOT NULL DEFAULT '',
    client_id      text        NOT NULL,
    secret_sealed  text        NOT NULL, -- encrypted by the channel
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);

CREATE TABLE genesys_rules (
    org_id           text        NOT NULL,
    campaign_id      text        NOT NULL PRIMARY KEY,
    rule             text        NOT NULL, -- JSON, owned by the channel
    interval_seconds integer     NOT NULL,
    enabled          boolean     NOT NULL,
    progress         text        NOT NULL DEFAULT '', -- JSON, owned by the channel
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    FOREIGN KEY (org_id, campaign_id) REFERENCES campaigns (org_id, id)
);

CREATE TABLE genesys_runs (
    id          text        NOT NULL PRIMARY KEY,
    org_id      text        NOT NULL,
    campaign_id text        NOT NULL,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    report      text        NOT NULL, -- JSON, owned by the channel
    error       text        NOT NULL DEFAULT '',
    FOREIGN KEY (org_id, campaign_id) REFERENCES campaigns (org_id, id)
);

CREATE INDEX genesys_runs_campaign ON genesys_runs (org_id, campaign_id, started_at);
