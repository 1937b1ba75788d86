-- Metrics: the moments the response-time metrics are measured between, the
-- indexes that find them by period, and the hourly alert counts kept on
-- write so that volume charts never scan the alerts.

-- When recovery was done, the earliest alert event, the first malicious
-- activity, the source of the alert the case was raised from, and its team.
ALTER TABLE cases ADD COLUMN recovered_at BIGINT;
ALTER TABLE cases ADD COLUMN detected_at BIGINT;
ALTER TABLE cases ADD COLUMN first_activity_at BIGINT;
ALTER TABLE cases ADD COLUMN source TEXT;
ALTER TABLE cases ADD COLUMN team_id TEXT;

UPDATE cases SET recovered_at = (
    SELECT MAX(t.at) FROM case_transitions t
    WHERE t.case_id = cases.id AND t.from_state = 'recovery' AND t.to_state IN ('review', 'closed'));
UPDATE cases SET detected_at = (SELECT MIN(a.event_time) FROM alerts a WHERE a.case_id = cases.id);
UPDATE cases SET source = (
    SELECT a.source FROM alerts a WHERE a.case_id = cases.id ORDER BY a.event_time LIMIT 1);

CREATE INDEX cases_acknowledged ON cases (org_id, acknowledged_at) WHERE acknowledged_at IS NOT NULL;
CREATE INDEX cases_contained ON cases (org_id, contained_at) WHERE contained_at IS NOT NULL;
CREATE INDEX cases_recovered ON cases (org_id, recovered_at) WHERE recovered_at IS NOT NULL;
CREATE INDEX cases_closed ON cases (org_id, closed_at) WHERE closed_at IS NOT NULL;

-- Partial and covering: intake (where both are empty) does not pay for them,
-- and the triage metrics read only the index.
CREATE INDEX alerts_acknowledged ON alerts (org_id, acknowledged_at, first_seen, severity, source, rule)
    WHERE acknowledged_at IS NOT NULL;
CREATE INDEX alerts_triaged ON alerts (org_id, closed_at, first_seen, severity, source, rule, disposition, state)
    WHERE closed_at IS NOT NULL;

-- Alerts received per hour (start of the hour, ms) and source, rule ('' for
-- none) and severity; intake adds to it in the same transaction.
CREATE TABLE alert_counts (
    org_id   TEXT NOT NULL,
    hour     BIGINT NOT NULL,
    source   TEXT NOT NULL,
    rule     TEXT NOT NULL,
    severity TEXT NOT NULL,
    alerts   BIGINT NOT NULL,
    PRIMARY KEY (org_id, hour, source, rule, severity)
);
INSERT INTO alert_counts (org_id, hour, source, rule, severity, alerts)
    SELECT org_id, (first_seen / 3600000) * 3600000, source, COALESCE(rule, ''), severity, COUNT(*)
    FROM alerts GROUP BY org_id, (first_seen / 3600000) * 3600000, source, COALESCE(rule, ''), severity;

-- Response actions by request time, stakeholder updates by due time.
CREATE INDEX items_by_time ON items (org_id, kind, at);
CREATE INDEX items_by_due ON items (org_id, kind, due_at) WHERE due_at IS NOT NULL;

-- Open cases, for the backlog and the running SLA clocks.
CREATE INDEX cases_open ON cases (org_id, created_at) WHERE state NOT IN ('closed', 'cancelled', 'merged');
