-- GDPR: erasure requests with their receipts, and the index of erasure by
-- agent e-mail (case-insensitive). Retention walks calls_org_campaign_id.
CREATE TABLE erasures (
    id               text        NOT NULL PRIMARY KEY,
    org_id           text        NOT NULL REFERENCES orgs (id),
    campaign_id      text        NOT NULL DEFAULT '', -- '' = every campaign of the org
    kind             text        NOT NULL,            -- call | agent_email | metadata
    metadata_key     text        NOT NULL DEFAULT '',
    criterion_sha256 text        NOT NULL,
    criterion        text        NOT NULL DEFAULT '', -- what is searched for; cleared when done or failed
    status           text        NOT NULL,            -- pending | running | done | failed
    receipt          text        NOT NULL DEFAULT '', -- JSON, owned by internal/privacy
    error            text        NOT NULL DEFAULT '',
    requested_by     text        NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL,
    finished_at      timestamptz
);

CREATE INDEX erasures_org ON erasures (org_id, created_at);
CREATE INDEX calls_org_agent_lower ON calls (org_id, lower(agent_email), id);
