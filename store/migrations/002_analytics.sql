-- The framework in tables (for analysts joining observations to names and weights) and the
-- stable analytical view of current values.

CREATE TABLE framework_versions (
    hash        VARCHAR PRIMARY KEY,
    created_at  TIMESTAMP NOT NULL,
    source      VARCHAR,
    content     JSON NOT NULL
);

CREATE TABLE principles (
    code        VARCHAR PRIMARY KEY,
    name_fr     VARCHAR NOT NULL,
    name_ar     VARCHAR NOT NULL,
    name_en     VARCHAR NOT NULL,
    weight      DOUBLE NOT NULL
);

CREATE TABLE indicators (
    code            VARCHAR PRIMARY KEY,
    name_fr         VARCHAR NOT NULL,
    name_ar         VARCHAR NOT NULL,
    name_en         VARCHAR NOT NULL,
    unit            VARCHAR NOT NULL,
    direction       VARCHAR NOT NULL,
    aggregation     VARCHAR NOT NULL,
    transform       VARCHAR NOT NULL,
    goalpost_min    DOUBLE,
    goalpost_max    DOUBLE,
    iris            VARCHAR,
    sdg             VARCHAR[]
);

CREATE TABLE indicator_principles (
    indicator_code  VARCHAR NOT NULL,
    principle_code  VARCHAR NOT NULL,
    weight          DOUBLE NOT NULL
);

-- Documented in README.md ("The observations_current view"); keep its columns stable.
CREATE VIEW observations_current AS
SELECT
    org_code,
    indicator_code,
    period,
    granularity,
    period_start,
    period_end,
    value,
    unit,
    sex,
    age_band,
    disability,
    area,
    region,
    source,
    notes,
    submission_id,
    line,
    valid_from
FROM observations
WHERE valid_to IS NULL;
