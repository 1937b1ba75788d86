-- Alerts without a rule, or outside any story, need no entry in the
-- indexes that find alerts by rule or by story: every query of those asks
-- for one rule or one story (`rule = …`, `group_id = …`), which a partial
-- index answers, and intake writes one index row fewer for each such alert.
DROP INDEX alerts_by_rule;
CREATE INDEX alerts_by_rule ON alerts (org_id, rule, state) WHERE rule IS NOT NULL;
DROP INDEX alerts_by_group;
CREATE INDEX alerts_by_group ON alerts (group_id, event_time) WHERE group_id IS NOT NULL;
