-- Pull sources: a customer's SFTP server per campaign, the ledger of
-- fetched files, and the history of runs.
CREATE TABLE sftp_pull_sources (
    id                   text    NOT NULL PRIMARY KEY,
    org_id               text    NOT NULL,
    campaign_id          text    NOT NULL,
    host                 text    NOT NULL,
    port                 integer NOT NULL,
    username             text    NOT NULL,
    password_sealed      text    NOT NULL DEFAULT '', -- encrypted by the channel
    private_key_sealed   text    NOT NULL DEFAULT '', -- encrypted by the channel
    host_key_fingerprint text    NOT NULL,
    folder               text    NOT NULL,
    pattern              text    NOT NULL,
    recursive            boolean NOT NULL,
    interval_seconds     integer NOT NULL,
    min_age_seconds      integer NOT NULL,
    after_action         text    NOT NULL,
    enabled              boolean NOT NULL,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    FOREIGN KEY (org_id, campaign_id) REFERENCES campaigns (org_id, id)
);

CREATE TABLE sftp_pull_ledger (
    source_id  text    NOT NULL REFERENCES sftp_pull_sources (id) ON DELETE CASCADE,
    path       text    NOT NULL,
    size       bigint NOT NULL,
    mtime_unix bigint NOT NULL,
    sha256     text    NOT NULL,
    call_id    text    NOT NULL, -- '' when the intake refused the file
    created_at timestamptz NOT NULL,
    PRIMARY KEY (source_id, path, size, mtime_unix)
);

CREATE TABLE sftp_pull_runs (
    id          text    NOT NULL PRIMARY KEY,
    source_id   text    NOT NULL REFERENCES sftp_pull_sources (id) ON DELETE CASCADE,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    seen        integer NOT NULL,
    imported    integer NOT NULL,
    duplicates  integer NOT NULL,
    rejected    integer NOT NULL,
    errors      text    NOT NULL
);

CREATE INDEX sftp_pull_runs_source ON sftp_pull_runs (source_id, started_at);
