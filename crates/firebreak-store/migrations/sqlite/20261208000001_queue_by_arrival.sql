-- The queue keeps an alert where it arrived: its orders are by first-seen
-- time, which never changes, rather than by last-seen time, which every
-- repeat moves. A repeat then rewrites its alert's row and no index entry,
-- where it used to delete and re-insert one entry in each of these three
-- indexes, at random places in them; with one alert in ten a repeat, that
-- was a sixth of intake's work. The occurrence count and the last-seen
-- time still tell an analyst that an alert recurs.
--
-- The triage order (priority, then arrival) ends with the id, which is
-- time-ordered, as the queue page sorts (`triage_rank`, then `id`): the
-- page is read in order from the index, where a last-seen time there left
-- SQLite to sort every alert of the top priority by id first. The other
-- orders tie only the alerts of one batch, which share their time, and
-- SQLite sorts those few by id as it reads.
DROP INDEX alerts_queue;
CREATE INDEX alerts_queue ON alerts (org_id, state, first_seen);
DROP INDEX alerts_by_last_seen;
CREATE INDEX alerts_by_first_seen ON alerts (org_id, first_seen);
DROP INDEX alerts_triage;
CREATE INDEX alerts_triage ON alerts (org_id, state, triage_rank, id);
