-- Stories that join only what belongs together: each entity keeps its time
-- span in its story (an alert joins only within the window of it, before
-- or after) and its count of alerts in the latest period (one window long),
-- beside the organisation's own count (the row of the empty entity), so
-- that a value carried by too many alerts stops joining them. An entity
-- that was only ever too common has no story.
ALTER TABLE group_entities ALTER COLUMN group_id DROP NOT NULL;
ALTER TABLE group_entities ADD COLUMN first_event BIGINT;
ALTER TABLE group_entities ADD COLUMN period BIGINT NOT NULL DEFAULT 0;
ALTER TABLE group_entities ADD COLUMN carried BIGINT NOT NULL DEFAULT 0;
