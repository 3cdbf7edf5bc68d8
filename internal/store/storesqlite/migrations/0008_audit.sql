-- The access audit trail: append-only records, hash-chained per
-- organisation (org_id '' holds events of no known organisation). Nothing
-- updates or deletes a row; audit_heads holds each chain's last record so
-- that a record removed from the end shows, and serialises appends.
CREATE TABLE audit_events (
    org_id      TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    at          TEXT    NOT NULL,
    actor_type  TEXT    NOT NULL,
    actor_id    TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    target_type TEXT    NOT NULL,
    target_id   TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    source_ip   TEXT    NOT NULL,
    client      TEXT    NOT NULL,
    detail      TEXT    NOT NULL, -- JSON object, '' when none
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL,
    PRIMARY KEY (org_id, seq)
) STRICT;

CREATE INDEX audit_events_target ON audit_events (org_id, target_id, seq);
CREATE INDEX audit_events_actor ON audit_events (org_id, actor_id, seq);

CREATE TABLE audit_heads (
    org_id TEXT    NOT NULL PRIMARY KEY,
    seq    INTEGER NOT NULL,
    hash   TEXT    NOT NULL
) STRICT;
