-- The alerts of a story are found by a full-text index of their story's id
-- rather than a B-tree index by story. A story's alerts arrive over hours,
-- interleaved with those of every other open story, so each alert stored
-- went into the B-tree at one of as many places as there were open
-- stories: a page of the write-ahead log for each, in every transaction.
-- The full-text index writes a transaction's alerts as one sorted segment
-- (as the sightings index does), and the story's alerts are read by their
-- row ids from it. The term is the story id's text in hexadecimal, as
-- `alerts::sighting_term` writes it.
CREATE VIRTUAL TABLE alert_stories USING fts5(story, content = '', detail = 'none', columnsize = 0);
INSERT INTO alert_stories (rowid, story)
    SELECT rowid, 'x' || hex(group_id) FROM alerts WHERE group_id IS NOT NULL;
DROP INDEX alerts_by_group;
