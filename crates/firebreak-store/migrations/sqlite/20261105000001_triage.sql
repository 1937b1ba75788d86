-- Triage of alerts: who took it and when (the acknowledge time), how it was
-- closed and why, or which case it went into.
ALTER TABLE alerts ADD COLUMN assignee_id TEXT;
ALTER TABLE alerts ADD COLUMN acknowledged_at BIGINT;
ALTER TABLE alerts ADD COLUMN disposition TEXT;
ALTER TABLE alerts ADD COLUMN disposition_reason TEXT;
ALTER TABLE alerts ADD COLUMN case_id TEXT;
ALTER TABLE alerts ADD COLUMN closed_at BIGINT;
