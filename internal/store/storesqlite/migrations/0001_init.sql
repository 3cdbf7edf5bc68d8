-- Times are TEXT in the fixed-width form 2006-01-02T15:04:05.000000Z (UTC,
-- microseconds), so that they compare as text. Booleans are 0/1.

CREATE TABLE orgs (
    id         TEXT NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE campaigns (
    id               TEXT    NOT NULL PRIMARY KEY,
    org_id           TEXT    NOT NULL REFERENCES orgs (id),
    name             TEXT    NOT NULL,
    description      TEXT    NOT NULL DEFAULT '',
    require_metadata INTEGER NOT NULL DEFAULT 0,
    retention_days   INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    UNIQUE (org_id, name),
    UNIQUE (org_id, id)
) STRICT;

CREATE TABLE calls (
    id                TEXT    NOT NULL PRIMARY KEY,
    org_id            TEXT    NOT NULL,
    campaign_id       TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    source            TEXT    NOT NULL,
    file_name         TEXT    NOT NULL DEFAULT '',
    size_bytes        INTEGER NOT NULL DEFAULT 0,
    sha256            TEXT    NOT NULL,
    format            TEXT    NOT NULL DEFAULT '',
    blob_key          TEXT    NOT NULL DEFAULT '',
    conversation_time TEXT,
    agent_email       TEXT    NOT NULL DEFAULT '',
    external_id       TEXT    NOT NULL DEFAULT '',
    metadata          TEXT    NOT NULL DEFAULT '[]',
    -- audio_* are NULL until the recording is probed.
    audio_format      TEXT,
    audio_codec       TEXT,
    duration_seconds  REAL,
    sample_rate_hz    INTEGER,
    channels          INTEGER,
    bits_per_sample   INTEGER,
    bit_rate          INTEGER,
    silent            INTEGER,
    rejection_reason  TEXT    NOT NULL DEFAULT '',
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    imported_at       TEXT,
    FOREIGN KEY (org_id, campaign_id) REFERENCES campaigns (org_id, id)
) STRICT;

CREATE UNIQUE INDEX calls_campaign_sha256 ON calls (campaign_id, sha256);
CREATE UNIQUE INDEX calls_campaign_external_id ON calls (campaign_id, external_id) WHERE external_id <> '';
-- CallList walks one of these in id order whatever its filters: keyset
-- paging, no sort. Filters without an index of their own (dates)
-- are checked along the walk.
CREATE INDEX calls_org_id ON calls (org_id, id DESC);
CREATE INDEX calls_org_campaign_id ON calls (org_id, campaign_id, id DESC);
CREATE INDEX calls_org_status_id ON calls (org_id, status, id DESC);
CREATE INDEX calls_org_campaign_status_id ON calls (org_id, campaign_id, status, id DESC);
CREATE INDEX calls_org_agent_id ON calls (org_id, agent_email, id DESC);
CREATE INDEX calls_org_source_id ON calls (org_id, source, id DESC);
CREATE INDEX calls_org_external_id ON calls (org_id, external_id, id DESC) WHERE external_id <> '';

-- A blob being written before its call exists.
CREATE TABLE intakes (
    blob_key   TEXT NOT NULL PRIMARY KEY,
    created_at TEXT NOT NULL
) STRICT;

CREATE INDEX intakes_created ON intakes (created_at);

CREATE TABLE users (
    id            TEXT    NOT NULL PRIMARY KEY,
    org_id        TEXT    NOT NULL REFERENCES orgs (id),
    email         TEXT    NOT NULL UNIQUE, -- lower case
    role          TEXT    NOT NULL,
    password_hash TEXT    NOT NULL DEFAULT '',
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL
) STRICT;

CREATE INDEX users_org ON users (org_id, email);

CREATE TABLE api_keys (
    id         TEXT NOT NULL PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    name       TEXT NOT NULL DEFAULT '',
    prefix     TEXT NOT NULL DEFAULT '',
    hash       TEXT NOT NULL UNIQUE,
    scopes     TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    revoked_at TEXT
) STRICT;

CREATE INDEX api_keys_org ON api_keys (org_id, created_at);

CREATE TABLE oauth_clients (
    id          TEXT NOT NULL PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    name        TEXT NOT NULL DEFAULT '',
    client_id   TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    scopes      TEXT NOT NULL DEFAULT '[]',
    created_at  TEXT NOT NULL,
    revoked_at  TEXT,
    UNIQUE (org_id, id)
) STRICT;

CREATE INDEX oauth_clients_org ON oauth_clients (org_id, created_at);

CREATE TABLE tokens (
    hash       TEXT NOT NULL PRIMARY KEY,
    org_id     TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    scopes     TEXT NOT NULL DEFAULT '[]',
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    FOREIGN KEY (org_id, client_id) REFERENCES oauth_clients (org_id, id) ON DELETE CASCADE
) STRICT;

CREATE INDEX tokens_client ON tokens (client_id);
CREATE INDEX tokens_expires ON tokens (expires_at);
