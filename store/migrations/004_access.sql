-- Access: local accounts, funder share links (only the SHA-256 of a token is stored) and the
-- audit log. Nothing here is ever deleted: an account is deactivated, a link revoked.

CREATE SEQUENCE account_id_seq START 1;

CREATE TABLE accounts (
    id                  BIGINT PRIMARY KEY DEFAULT nextval('account_id_seq'),
    username            VARCHAR NOT NULL UNIQUE,   -- stored lower-case
    display_name        VARCHAR,
    email               VARCHAR,                   -- lower-case; matched by OpenID Connect sign-in
    role                VARCHAR NOT NULL,          -- steering | member
    org_code            VARCHAR,                   -- the member's organisation
    password_hash       VARCHAR,                   -- argon2id (PHC string); NULL = sign-in by OIDC only
    active              BOOLEAN NOT NULL DEFAULT TRUE,
    demo                BOOLEAN NOT NULL DEFAULT FALSE,
    failed_count        INTEGER NOT NULL DEFAULT 0, -- consecutive failed sign-ins
    locked_until        TIMESTAMP,                 -- UTC; sign-in refused before it
    last_sign_in        TIMESTAMP,
    password_changed_at TIMESTAMP,
    created_at          TIMESTAMP NOT NULL,
    created_by          VARCHAR
);

CREATE SEQUENCE share_link_id_seq START 1;

CREATE TABLE share_links (
    id              BIGINT PRIMARY KEY DEFAULT nextval('share_link_id_seq'),
    token_sha256    VARCHAR NOT NULL UNIQUE,       -- hex SHA-256 of the token; the token itself is never stored
    label           VARCHAR NOT NULL,
    org_codes       VARCHAR[] NOT NULL,
    principles      VARCHAR[],                     -- NULL = every principle (and the composite)
    periods         VARCHAR[],                     -- NULL = every period
    pages           VARCHAR[],                     -- NULL = every page a funder may see
    run_id          BIGINT,                        -- pinned scoring run; NULL = the latest
    created_at      TIMESTAMP NOT NULL,
    created_by      VARCHAR NOT NULL,
    expires_at      TIMESTAMP NOT NULL,
    revoked_at      TIMESTAMP,
    revoked_by      VARCHAR,
    replaces        BIGINT,                        -- the link this one rotated
    last_used_at    TIMESTAMP,
    use_count       BIGINT NOT NULL DEFAULT 0
);

CREATE SEQUENCE audit_id_seq START 1;

CREATE TABLE audit_log (
    id          BIGINT PRIMARY KEY DEFAULT nextval('audit_id_seq'),
    logged_at   TIMESTAMP NOT NULL,   -- UTC
    actor       VARCHAR NOT NULL,     -- account:<username>, link:<id>, cli:<user>, system
    action      VARCHAR NOT NULL,     -- sign_in, sign_in_failed, upload, framework_change, link_created…
    target      VARCHAR,              -- what it acted on (submission id, link id, account…)
    outcome     VARCHAR NOT NULL,     -- ok | refused
    detail      JSON                  -- never a password or a token
);
