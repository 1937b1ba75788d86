-- A case its organisation shares with another one: members of `org_id`
-- work on that case within `role` (TheHive's profile), and see its tasks and
-- observables by the rules (`all`, `none`, `manual`). One share per case and
-- organisation; deleting the share ends the access at once.
CREATE TABLE case_shares (
    id              TEXT PRIMARY KEY,
    case_id         TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    owner_org_id    TEXT NOT NULL REFERENCES organisations (id),
    org_id          TEXT NOT NULL REFERENCES organisations (id),
    role            TEXT NOT NULL,
    task_rule       TEXT NOT NULL,
    observable_rule TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (case_id, org_id)
);
-- What a recipient reads: the cases shared with it, and one case's share.
CREATE INDEX case_shares_by_org ON case_shares (org_id, case_id);
