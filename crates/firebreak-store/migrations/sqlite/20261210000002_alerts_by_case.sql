-- A case lists the alerts escalated or merged into it (`case_id = …`):
-- a partial index, as most alerts never join a case, in the queue's order.
CREATE INDEX alerts_by_case ON alerts (org_id, case_id, first_seen, id) WHERE case_id IS NOT NULL;
