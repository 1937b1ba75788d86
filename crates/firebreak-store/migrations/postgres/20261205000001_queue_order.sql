-- The queue's orders end with the alert id, to tell apart alerts seen in the
-- same millisecond (a bulk batch shares its time). With the id in the index
-- a page is read in order and stops after its last row, even when a filter
-- outside the index (severity, source) skips most rows and whatever the
-- planner's statistics say. (SQLite sorts such ties within the index's
-- order as it reads, so its indexes stay narrower for faster intake.)
DROP INDEX alerts_queue;
CREATE INDEX alerts_queue ON alerts (org_id, state, last_seen, id);
DROP INDEX alerts_by_last_seen;
CREATE INDEX alerts_by_last_seen ON alerts (org_id, last_seen, id);
DROP INDEX alerts_triage;
CREATE INDEX alerts_triage ON alerts (org_id, state, triage_rank, id);
