-- The assets an alert touches (matched at intake) and its triage rank:
-- severity raised by the criticality of those assets.
ALTER TABLE alerts ADD COLUMN assets TEXT NOT NULL DEFAULT '[]';
ALTER TABLE alerts ADD COLUMN triage_rank BIGINT NOT NULL DEFAULT 0;
CREATE INDEX alerts_triage ON alerts (org_id, state, triage_rank, last_seen);
