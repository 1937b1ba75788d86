-- Where matched events saw each observable: one row per observable, host
-- and event, kept for the organisation's event retention, so that "which
-- hosts saw this indicator in the last N days" is an index look-up.
CREATE TABLE event_sightings (
    org_id  TEXT NOT NULL,
    obs_key TEXT NOT NULL,
    host    TEXT NOT NULL,
    seen_at BIGINT NOT NULL
);
CREATE INDEX event_sightings_by_key ON event_sightings (org_id, obs_key, seen_at);
CREATE INDEX event_sightings_by_time ON event_sightings (org_id, seen_at);
