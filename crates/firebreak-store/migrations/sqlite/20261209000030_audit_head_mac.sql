-- Each chain head's HMAC under a key the database does not hold, so that a
-- chain cut back with its head rewound no longer verifies. Heads written
-- before carry none until the server signs them at its first start.
ALTER TABLE audit_heads ADD COLUMN mac TEXT;
