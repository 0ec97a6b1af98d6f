-- Core tables: organisations, submissions and their observations.
-- Observations are never deleted or updated in place except to close their validity
-- (valid_to, superseded_by) when a correction arrives: the history stays queryable.

CREATE TABLE organizations (
    code            VARCHAR PRIMARY KEY,
    name_fr         VARCHAR NOT NULL,
    name_ar         VARCHAR,
    name_en         VARCHAR,
    kind            VARCHAR NOT NULL,
    region          VARCHAR,
    thematic_areas  VARCHAR[],
    size_band       VARCHAR,
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);

CREATE SEQUENCE submission_id_seq START 1;

CREATE TABLE submissions (
    id              BIGINT PRIMARY KEY DEFAULT nextval('submission_id_seq'),
    org_code        VARCHAR,            -- the uploader's organisation; NULL for a network-wide file
    file_name       VARCHAR NOT NULL,
    content_sha256  VARCHAR NOT NULL,
    file_format     VARCHAR NOT NULL,   -- csv | txt | xlsx
    encoding        VARCHAR,
    uploaded_by     VARCHAR,
    uploaded_at     TIMESTAMP NOT NULL, -- UTC
    status          VARCHAR NOT NULL,   -- accepted | superseded (every value corrected since)
    row_count       BIGINT NOT NULL,
    framework_hash  VARCHAR NOT NULL,
    report          JSON NOT NULL,      -- the validation report (codes, positions; rendered per language)
    raw_path        VARCHAR NOT NULL    -- the uploaded bytes, kept outside the database under their hash
);

CREATE TABLE observations (
    submission_id   BIGINT NOT NULL,
    line            BIGINT NOT NULL,    -- as Excel shows it in the submitted file (header = 1)
    org_code        VARCHAR NOT NULL,
    indicator_code  VARCHAR NOT NULL,
    period          VARCHAR NOT NULL,   -- canonical label: 2024, 2024-S1, 2024-Q1, 2024-03
    granularity     VARCHAR NOT NULL,   -- year | semester | quarter | month
    period_start    DATE NOT NULL,
    period_end      DATE NOT NULL,
    value           DOUBLE NOT NULL,
    unit            VARCHAR NOT NULL,   -- the indicator's unit code
    sex             VARCHAR,
    age_band        VARCHAR,
    disability      VARCHAR,
    area            VARCHAR,
    region          VARCHAR,
    source          VARCHAR,
    notes           VARCHAR,
    valid_from      TIMESTAMP NOT NULL,
    valid_to        TIMESTAMP,          -- NULL while current
    superseded_by   BIGINT              -- the submission that corrected this value
);
