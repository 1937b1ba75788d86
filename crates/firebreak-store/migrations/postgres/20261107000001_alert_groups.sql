-- The detection rule behind an alert (dispositions are counted per rule),
-- and the story (alert group) it belongs to.
ALTER TABLE alerts ADD COLUMN rule TEXT;
ALTER TABLE alerts ADD COLUMN group_id TEXT;
CREATE INDEX alerts_by_rule ON alerts (org_id, rule, state);
CREATE INDEX alerts_by_group ON alerts (group_id, event_time);
-- Partial: new alerts have no assignee, and intake should not pay for them.
CREATE INDEX alerts_by_assignee ON alerts (org_id, assignee_id, state) WHERE assignee_id IS NOT NULL;

-- Alert groups: alerts that share an entity (host, user, IP, file hash)
-- within the organisation's window, one story instead of many tickets.
CREATE TABLE alert_groups (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organisations (id),
    title         TEXT NOT NULL,
    severity_rank BIGINT NOT NULL,
    alert_count   BIGINT NOT NULL,
    first_event   BIGINT NOT NULL,
    last_event    BIGINT NOT NULL,
    case_id       TEXT,
    created_at    BIGINT NOT NULL
);
CREATE INDEX alert_groups_by_last ON alert_groups (org_id, last_event);

-- Each grouping entity's current group: one row per entity, so the table
-- grows with the distinct hosts, users, IPs and hashes, not with alerts.
CREATE TABLE group_entities (
    org_id     TEXT NOT NULL,
    entity     TEXT NOT NULL,
    group_id   TEXT NOT NULL,
    last_event BIGINT NOT NULL,
    PRIMARY KEY (org_id, entity)
);
