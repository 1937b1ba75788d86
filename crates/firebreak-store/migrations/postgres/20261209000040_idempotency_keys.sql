-- A bulk intake request's idempotency key and the answer it was given,
-- written in the transaction that stored its alerts, so that the request
-- sent again (after a lost answer, say) is answered the same and stores
-- nothing. Keys are the caller's own within an organisation; they are kept
-- for a day (see `AlertStore::prune_idempotency_keys`).
CREATE TABLE idempotency_keys (
    org_id      TEXT NOT NULL,
    caller      TEXT NOT NULL,
    idem_key    TEXT NOT NULL,
    -- SHA-256 of the request body, hex: the same key with another body is refused.
    body_hash   TEXT NOT NULL,
    status      BIGINT NOT NULL,
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, caller, idem_key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
