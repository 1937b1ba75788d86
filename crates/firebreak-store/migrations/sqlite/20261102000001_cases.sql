-- Cases (incidents): the record, its state history and its links.

CREATE TABLE cases (
    id                   TEXT PRIMARY KEY,
    org_id               TEXT NOT NULL REFERENCES organisations (id),
    number               BIGINT NOT NULL,
    title                TEXT NOT NULL,
    title_key            TEXT NOT NULL,
    description          TEXT NOT NULL,
    severity             TEXT,
    severity_rank        BIGINT NOT NULL DEFAULT 0,
    impact               TEXT NOT NULL,
    urgency              TEXT NOT NULL,
    priority             TEXT NOT NULL,
    category             TEXT,
    tlp                  TEXT NOT NULL,
    pap                  TEXT NOT NULL,
    tags                 TEXT NOT NULL,
    assignee_id          TEXT,
    tier                 TEXT NOT NULL,
    state                TEXT NOT NULL,
    resolution           TEXT,
    summary              TEXT NOT NULL,
    review_status        TEXT NOT NULL,
    review_waiver_reason TEXT,
    custom_fields        TEXT NOT NULL,
    merged_into          TEXT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    closed_at            BIGINT,
    UNIQUE (org_id, number)
);
CREATE INDEX cases_by_state ON cases (org_id, state, updated_at);
CREATE INDEX cases_by_assignee ON cases (org_id, assignee_id);
CREATE INDEX cases_by_created ON cases (org_id, created_at);

-- Tags one row each, so that "cases tagged X" is an index lookup.
CREATE TABLE case_tags (
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    org_id  TEXT NOT NULL,
    tag     TEXT NOT NULL,
    PRIMARY KEY (case_id, tag)
);
CREATE INDEX case_tags_by_tag ON case_tags (org_id, tag);

CREATE TABLE case_transitions (
    case_id    TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    reason     TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    at         BIGINT NOT NULL,
    PRIMARY KEY (case_id, seq)
);

-- Per-organisation case numbers.
CREATE TABLE case_counters (
    org_id TEXT PRIMARY KEY,
    last   BIGINT NOT NULL
);

-- Links between cases: `related` both ways; `parent` from a child to the
-- major incident that groups it.
CREATE TABLE case_links (
    org_id     TEXT NOT NULL,
    case_id    TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    target_id  TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('related', 'parent')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (case_id, target_id)
);
CREATE INDEX case_links_by_target ON case_links (target_id);
