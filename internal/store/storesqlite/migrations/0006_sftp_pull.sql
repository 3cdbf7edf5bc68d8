-- Pull sources: a customer's SFTP server per campaign, the ledger of
-- fetched files, and the history of runs.
CREATE TABLE sftp_pull_sources (
    id                   TEXT    NOT NULL PRIMARY KEY,
    org_id               TEXT    NOT NULL,
    campaign_id          TEXT    NOT NULL,
    host                 TEXT    NOT NULL,
    port                 INTEGER NOT NULL,
    username             TEXT    NOT NULL,
    password_sealed      TEXT    NOT NULL DEFAULT '', -- encrypted by the channel
    private_key_sealed   TEXT    NOT NULL DEFAULT '', -- encrypted by the channel
    host_key_fingerprint TEXT    NOT NULL,
    folder               TEXT    NOT NULL,
    pattern              TEXT    NOT NULL,
    recursive            INTEGER NOT NULL,
    interval_seconds     INTEGER NOT NULL,
    min_age_seconds      INTEGER NOT NULL,
    after_action         TEXT    NOT NULL,
    enabled              INTEGER NOT NULL,
    created_at           TEXT    NOT NULL,
    updated_at           TEXT    NOT NULL,
    FOREIGN KEY (org_id, campaign_id) REFERENCES campaigns (org_id, id)
) STRICT;

CREATE TABLE sftp_pull_ledger (
    source_id  TEXT    NOT NULL REFERENCES sftp_pull_sources (id) ON DELETE CASCADE,
    path       TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    mtime_unix INTEGER NOT NULL,
    sha256     TEXT    NOT NULL,
    call_id    TEXT    NOT NULL, -- '' when the intake refused the file
    created_at TEXT    NOT NULL,
    PRIMARY KEY (source_id, path, size, mtime_unix)
) STRICT;

CREATE TABLE sftp_pull_runs (
    id          TEXT    NOT NULL PRIMARY KEY,
    source_id   TEXT    NOT NULL REFERENCES sftp_pull_sources (id) ON DELETE CASCADE,
    started_at  TEXT    NOT NULL,
    finished_at TEXT    NOT NULL,
    seen        INTEGER NOT NULL,
    imported    INTEGER NOT NULL,
    duplicates  INTEGER NOT NULL,
    rejected    INTEGER NOT NULL,
    errors      TEXT    NOT NULL
) STRICT;

CREATE INDEX sftp_pull_runs_source ON sftp_pull_runs (source_id, started_at);
