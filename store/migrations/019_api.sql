-- Personal API tokens (issue 15): an account creates and revokes its own tokens for /api/v1.
-- Only the token's SHA-256 is stored; the token itself is shown once, when it is made.
CREATE SEQUENCE api_token_id_seq START 1;
CREATE TABLE api_tokens (
    id              BIGINT PRIMARY KEY DEFAULT nextval('api_token_id_seq'),
    account_id      BIGINT NOT NULL,
    label           VARCHAR NOT NULL,
    token_sha256    VARCHAR NOT NULL UNIQUE,
    created_at      TIMESTAMP NOT NULL,
    expires_at      TIMESTAMP NOT NULL,
    last_used_at    TIMESTAMP,
    use_count       BIGINT NOT NULL DEFAULT 0,
    revoked_at      TIMESTAMP,
    revoked_by      VARCHAR
);
CREATE INDEX api_tokens_account ON api_tokens (account_id);
