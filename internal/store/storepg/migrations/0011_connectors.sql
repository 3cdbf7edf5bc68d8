-- When each connector item (pull source, Genesys export rule) runs next,
-- the lease of the process running it, and its feed health.
CREATE TABLE connector_schedules (
    kind           text        NOT NULL, -- sftp_pull | genesys
    item_id        text        NOT NULL, -- pull source id | campaign id of the rule
    org_id         text        NOT NULL,
    next_run_at    timestamptz NOT NULL,
    lease_owner    text        NOT NULL DEFAULT '', -- '' when free
    lease_until    timestamptz NOT NULL,
    last_run_at    timestamptz,
    last_import_at timestamptz,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (kind, item_id)
);

CREATE INDEX connector_schedules_org ON connector_schedules (org_id, kind);
CREATE INDEX sftp_pull_sources_org ON sftp_pull_sources (org_id, campaign_id);
