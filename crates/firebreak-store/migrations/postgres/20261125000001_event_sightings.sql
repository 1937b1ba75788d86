-- Where matched events saw each observable: per request, one row per
-- observable and host with how many events saw it between two times, kept
-- for the organisation's event retention, so that "which hosts saw this
-- indicator in the last N days" is an index look-up.
CREATE TABLE event_sightings (
    org_id   TEXT NOT NULL,
    obs_key  TEXT NOT NULL,
    host     TEXT NOT NULL,
    first_at BIGINT NOT NULL,
    seen_at  BIGINT NOT NULL,
    events   BIGINT NOT NULL
);
CREATE INDEX event_sightings_by_key ON event_sightings (org_id, obs_key, seen_at);
CREATE INDEX event_sightings_by_time ON event_sightings (org_id, seen_at);
