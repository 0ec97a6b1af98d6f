-- Server-side sessions (issue 15): a signed-in account survives a reload and a new tab.
-- (No UNIQUE on the digests: they are updated in place, and 256 random bits do not collide.)
-- The browser holds a random token in an HttpOnly cookie; only its SHA-256 is stored here.
-- A session starts without a token (one tab); the token is issued once, by the server's
-- /session/start route, in exchange for a one-time handoff code (also stored hashed, ≤ 60 s).
CREATE SEQUENCE session_id_seq START 1;
CREATE TABLE sessions (
    id                  BIGINT PRIMARY KEY DEFAULT nextval('session_id_seq'),
    account_id          BIGINT NOT NULL,
    token_sha256        VARCHAR,
    created_at          TIMESTAMP NOT NULL,
    last_seen_at        TIMESTAMP NOT NULL,
    idle_minutes        INTEGER NOT NULL,
    expires_at          TIMESTAMP NOT NULL,
    revoked_at          TIMESTAMP,
    revoked_reason      VARCHAR,
    revoked_by          VARCHAR,
    user_agent          VARCHAR,
    handoff_sha256      VARCHAR,
    handoff_expires_at  TIMESTAMP,
    handoff_next        VARCHAR
);
CREATE INDEX sessions_account ON sessions (account_id);
