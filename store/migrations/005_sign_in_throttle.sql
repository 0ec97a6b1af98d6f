-- Sign-in throttling instead of an account lock anyone can trigger: failures counted per account
-- (accounts.failed_count, locked_until) and per client (its address, hashed), and the clients an
-- account has signed in from before, which a lock on the account does not stop.

ALTER TABLE accounts ADD COLUMN last_failed_at TIMESTAMP;  -- UTC; failures older than the window are forgotten

CREATE TABLE sign_in_clients (
    client_sha256   VARCHAR PRIMARY KEY,   -- SHA-256 of the client's address (never the address itself)
    failed_count    INTEGER NOT NULL DEFAULT 0,
    last_failed_at  TIMESTAMP NOT NULL,    -- UTC
    locked_until    TIMESTAMP              -- UTC; this client's attempts are delayed before it
);

CREATE TABLE known_clients (
    account_id      BIGINT NOT NULL,
    marker_sha256   VARCHAR NOT NULL,      -- SHA-256 of address + user agent of a successful sign-in
    client_sha256   VARCHAR NOT NULL,      -- SHA-256 of the address alone (lifted by a committee unlock)
    first_seen      TIMESTAMP NOT NULL,
    last_seen       TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, marker_sha256)
);
