-- TheHive's query API sorts alerts by their event time (`date`), newest
-- first, and most often filters them by status and severity: an index for
-- that order alone, and one that finds a status and severity's alerts in
-- that order, so a page of them is read from the index, not sorted.
CREATE INDEX alerts_by_event_time ON alerts (org_id, event_time, id);
CREATE INDEX alerts_by_state_severity ON alerts (org_id, state, severity_rank, event_time, id);
