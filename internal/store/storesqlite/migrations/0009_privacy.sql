-- GDPR: erasure requests with their receipts, and the index of erasure by
-- agent e-mail (case-insensitive). Retention walks calls_org_campaign_id.
CREATE TABLE erasures (
    id               TEXT NOT NULL PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES orgs (id),
    campaign_id      TEXT NOT NULL DEFAULT '', -- '' = every campaign of the org
    kind             TEXT NOT NULL,            -- call | agent_email | metadata
    metadata_key     TEXT NOT NULL DEFAULT '',
    criterion_sha256 TEXT NOT NULL,
    criterion        TEXT NOT NULL DEFAULT '', -- what is searched for; cleared when done or failed
    status           TEXT NOT NULL,            -- pending | running | done | failed
    receipt          TEXT NOT NULL DEFAULT '', -- JSON, owned by internal/privacy
    error            TEXT NOT NULL DEFAULT '',
    requested_by     TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL,
    finished_at      TEXT
) STRICT;

CREATE INDEX erasures_org ON erasures (org_id, created_at);
CREATE INDEX calls_org_agent_lower ON calls (org_id, lower(agent_email), id);
