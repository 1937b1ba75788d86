-- Intake without an index row per observable and per entity.
--
-- The alerts' sightings move from a B-tree of one row per observable, whose
-- random keys made every batch rewrite thousands of index pages, to a
-- full-text index over each alert's observable keys: FTS5 writes a batch's
-- terms as one sorted segment and merges segments in the background, as a
-- log-structured index does. An alert's terms are its keys in hexadecimal
-- (one token each, whatever the characters of the value), the first 2000
-- characters of a key being its term.
CREATE VIRTUAL TABLE alert_sightings USING fts5(keys, content = '', detail = 'none', columnsize = 0);
INSERT INTO alert_sightings (rowid, keys)
    SELECT a.rowid, group_concat('x' || hex(substr(o.obs_key, 1, 2000)), ' ')
    FROM alert_observables o JOIN alerts a ON a.id = o.alert_id
    GROUP BY a.rowid;
DROP TABLE alert_observables;

-- Each entity's current story is kept in memory by the writer, and rebuilt
-- from the alerts of the grouping window when it starts: an alert keeps the
-- entities it was grouped by. Stories from before this version are not
-- joined by new alerts.
ALTER TABLE alerts ADD COLUMN group_keys TEXT;
DROP TABLE group_entities;
