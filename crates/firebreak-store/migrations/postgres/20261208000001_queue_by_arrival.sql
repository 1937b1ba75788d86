-- The queue keeps an alert where it arrived: its orders are by first-seen
-- time, which never changes, rather than by last-seen time, which every
-- repeat moves. A repeat then updates no indexed column of its alert, so
-- the update may stay on its page without new index entries, and the
-- occurrence count and last-seen time still tell an analyst that an alert
-- recurs. The orders end with the id, as before, to tell apart alerts seen
-- in the same millisecond.
DROP INDEX alerts_queue;
CREATE INDEX alerts_queue ON alerts (org_id, state, first_seen, id);
DROP INDEX alerts_by_last_seen;
CREATE INDEX alerts_by_first_seen ON alerts (org_id, first_seen, id);
