-- The entities an alert was grouped by, as SQLite keeps them to rebuild its
-- writer's story memory; PostgreSQL looks entities up in group_entities.
ALTER TABLE alerts ADD COLUMN group_keys TEXT;
