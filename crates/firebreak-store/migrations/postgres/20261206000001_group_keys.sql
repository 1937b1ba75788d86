-- The entities an alert was grouped by, which SQLite keeps to rebuild its
-- writer's memory of stories. PostgreSQL keeps them in group_entities and
-- leaves this empty; the column keeps one insert for both.
ALTER TABLE alerts ADD COLUMN group_keys TEXT;
