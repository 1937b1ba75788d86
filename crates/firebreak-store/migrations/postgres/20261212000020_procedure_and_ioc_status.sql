-- A timeline entry that names an ATT&CK technique (TheHive's procedure) and
-- an observable marked as an indicator of compromise carry it in `status`, so
-- a page of cases counts them by case and status in one grouped query, and
-- the organisation's procedures are found by index. Entries written before
-- say so here.
UPDATE items SET status = 'procedure'
 WHERE kind = 'timeline' AND CAST(body AS jsonb) ->> 'technique' IS NOT NULL;
UPDATE items SET status = 'ioc'
 WHERE kind = 'observable' AND CAST(body AS jsonb) ->> 'ioc' = 'true';
CREATE INDEX items_by_status ON items (org_id, kind, status, at);
