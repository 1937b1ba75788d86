-- Alerts. The same organisation, source and source reference is the same
-- alert: the unique constraint makes repeats update it, never duplicate it,
-- whatever the concurrency.

CREATE TABLE alerts (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organisations (id),
    source        TEXT NOT NULL,
    source_ref    TEXT NOT NULL,
    kind          TEXT NOT NULL,
    title         TEXT NOT NULL,
    title_key     TEXT NOT NULL,
    description   TEXT NOT NULL,
    severity      TEXT NOT NULL,
    severity_rank BIGINT NOT NULL,
    event_time    BIGINT NOT NULL,
    tags          TEXT NOT NULL,
    tlp           TEXT NOT NULL,
    pap           TEXT NOT NULL,
    observables   TEXT NOT NULL,
    custom_fields TEXT NOT NULL,
    raw           TEXT NOT NULL,
    state         TEXT NOT NULL,
    occurrences   BIGINT NOT NULL,
    first_seen    BIGINT NOT NULL,
    last_seen     BIGINT NOT NULL,
    UNIQUE (org_id, source, source_ref)
);
CREATE INDEX alerts_queue ON alerts (org_id, state, last_seen);
CREATE INDEX alerts_by_last_seen ON alerts (org_id, last_seen);

-- Each repeat's time.
CREATE TABLE alert_repeats (
    alert_id TEXT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    seen_at  BIGINT NOT NULL
);
CREATE INDEX alert_repeats_by_alert ON alert_repeats (alert_id, seen_at);

-- The alerts' observables, one row each: the sightings index for alerts,
-- keyed as case observables are (`type:value`).
CREATE TABLE alert_observables (
    org_id   TEXT NOT NULL,
    obs_key  TEXT NOT NULL,
    alert_id TEXT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    seen_at  BIGINT NOT NULL
);
CREATE INDEX alert_observables_by_key ON alert_observables (org_id, obs_key, seen_at);
