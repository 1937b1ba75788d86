-- What a case holds (tasks, timeline entries, observables, evidence, escalations,
-- communications, response actions, reviews) and what an organisation keeps
-- (templates, assets, contacts, teams, webhooks, notifications), one table:
-- a typed JSON body beside the few columns that queries filter and sort on.
-- Each kind's body is defined once, in the types crate.

CREATE TABLE items (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organisations (id),
    kind        TEXT NOT NULL,
    case_id     TEXT REFERENCES cases (id) ON DELETE CASCADE,
    parent_id   TEXT,
    -- A lookup key within the kind: an observable's `type:value`, an asset's
    -- name, a template's category.
    item_key    TEXT,
    status      TEXT,
    assignee_id TEXT,
    due_at      BIGINT,
    at          BIGINT NOT NULL,
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    version     BIGINT NOT NULL
);
CREATE INDEX items_by_case ON items (case_id, kind, at);
CREATE INDEX items_by_key ON items (org_id, kind, item_key);
CREATE INDEX items_by_parent ON items (parent_id);
CREATE INDEX items_due ON items (kind, status, due_at);
CREATE INDEX items_by_assignee ON items (org_id, kind, assignee_id, status);

-- SLA clocks of a case: when it was first acknowledged and contained, and the
-- spans it waited on someone outside the team (JSON list of [start, end]).
ALTER TABLE cases ADD COLUMN acknowledged_at BIGINT;
ALTER TABLE cases ADD COLUMN contained_at BIGINT;
ALTER TABLE cases ADD COLUMN waiting_reason TEXT;
ALTER TABLE cases ADD COLUMN pauses TEXT NOT NULL DEFAULT '[]';
