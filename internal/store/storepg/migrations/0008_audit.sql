-- The access audit trail: append-only records, hash-chained per
-- organisation (org_id '' holds events of no known organisation). Nothing
-- updates or deletes a row; audit_heads holds each chain's last record so
-- that a record removed from the end shows, and its row lock serialises
-- appends to one chain across processes.
CREATE TABLE audit_events (
    org_id      text        NOT NULL,
    seq         bigint      NOT NULL,
    at          timestamptz NOT NULL,
    actor_type  text        NOT NULL,
    actor_id    text        NOT NULL,
    action      text        NOT NULL,
    target_type text        NOT NULL,
    target_id   text        NOT NULL,
    outcome     text        NOT NULL,
    source_ip   text        NOT NULL,
    client      text        NOT NULL,
    detail      text        NOT NULL, -- JSON object, '' when none
    prev_hash   text        NOT NULL,
    hash        text        NOT NULL,
    PRIMARY KEY (org_id, seq)
);

CREATE INDEX audit_events_target ON audit_events (org_id, target_id, seq);
CREATE INDEX audit_events_actor ON audit_events (org_id, actor_id, seq);

CREATE TABLE audit_heads (
    org_id text   NOT NULL PRIMARY KEY,
    seq    bigint NOT NULL,
    hash   text   NOT NULL
);
