-- Tables are created in the first schema of search_path. Call ids sort
-- with the "C" collation (byte order), which is time order for UUIDv7.

CREATE TABLE orgs (
    id         text        NOT NULL PRIMARY KEY,
    name       text        NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);

CREATE TABLE campaigns (
    id               text        NOT NULL PRIMARY KEY,
    org_id           text        NOT NULL REFERENCES orgs (id),
    name             text        NOT NULL,
    description      text        NOT NULL DEFAULT '',
    require_metadata boolean     NOT NULL DEFAULT false,
    retention_days   integer     NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    UNIQUE (org_id, name),
    UNIQUE (org_id, id)
);

CREATE TABLE calls (
    id                text COLLATE "C" NOT NULL PRIMARY KEY,
    org_id            text        NOT NULL,
    campaign_id       text        NOT NULL,
    status            text        NOT NULL,
    source            text        NOT NULL,
    file_name         text        NOT NULL DEFAULT '',
    size_bytes        bigint      NOT NULL DEFAULT 0,
    sha256            text        NOT NULL,
    format            text        NOT NULL DEFAULT '',
    blob_key          text        NOT NULL DEFAULT '',
    conversation_time timestamptz,
    agent_email       text        NOT NULL DEFAULT '',
    external_id       text        NOT NULL DEFAULT '',
    -- An array of {"key", "value"} objects: jsonb keeps array order.
    metadata          jsonb       NOT NULL DEFAULT '[]',
    -- audio_* are NULL until the recording is probed.
    audio_format      text,
    audio_codec       text,
    duration_seconds  double precision,
    sample_rate_hz    integer,
    channels          integer,
    bits_per_sample   integer,
    bit_rate          integer,
    silent            boolean,
    rejection_reason  text        NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    imported_at       timestamptz,
    FOREIGN KEY (org_id, campaign_id) REFERENCES campaigns (org_id, id)
);

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
    blob_key   text        NOT NULL PRIMARY KEY,
    created_at timestamptz NOT NULL
);

CREATE INDEX intakes_created ON intakes (created_at);

CREATE TABLE users (
    id            text        NOT NULL PRIMARY KEY,
    org_id        text        NOT NULL REFERENCES orgs (id),
    email         text        NOT NULL UNIQUE, -- lower case
    role          text        NOT NULL,
    password_hash text        NOT NULL DEFAULT '',
    disabled      boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL
);

CREATE INDEX users_org ON users (org_id, email);

CREATE TABLE api_keys (
    id         text        NOT NULL PRIMARY KEY,
    org_id     text        NOT NULL REFERENCES orgs (id),
    name       text        NOT NULL DEFAULT '',
    prefix     text        NOT NULL DEFAULT '',
    hash       text        NOT NULL UNIQUE,
    scopes     jsonb       NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);

CREATE INDEX api_keys_org ON api_keys (org_id, created_at);

CREATE TABLE oauth_clients (
    id          text        NOT NULL PRIMARY KEY,
    org_id      text        NOT NULL REFERENCES orgs (id),
    name        text        NOT NULL DEFAULT '',
    client_id   text        NOT NULL UNIQUE,
    secret_hash text        NOT NULL,
    scopes      jsonb       NOT NULL DEFAULT '[]',
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    UNIQUE (org_id, id)
);

CREATE INDEX oauth_clients_org ON oauth_clients (org_id, created_at);

CREATE TABLE tokens (
    hash       text        NOT NULL PRIMARY KEY,
    org_id     text        NOT NULL,
    client_id  text        NOT NULL,
    scopes     jsonb       NOT NULL DEFAULT '[]',
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    FOREIGN KEY (org_id, client_id) REFERENCES oauth_clients (org_id, id) ON DELETE CASCADE
);

CREATE INDEX tokens_client ON tokens (client_id);
CREATE INDEX tokens_expires ON tokens (expires_at);
