-- Scoring runs and their results. A run is never updated: a new run gets a new id, so every
-- score shown can be traced to the framework version, method choices and inputs behind it.

CREATE SEQUENCE score_run_id_seq START 1;

CREATE TABLE score_runs (
    id              BIGINT PRIMARY KEY DEFAULT nextval('score_run_id_seq'),
    created_at      TIMESTAMP NOT NULL,     -- UTC
    framework_hash  VARCHAR NOT NULL,
    framework       JSON NOT NULL,          -- the framework content, so a run explains itself
    granularity     VARCHAR NOT NULL,       -- year | semester | quarter
    method          JSON NOT NULL,          -- method choices: aggregation, coverage, Monte Carlo settings…
    submission_ids  BIGINT[] NOT NULL,      -- the submissions whose current values were scored
    org_count       INTEGER NOT NULL,
    period_count    INTEGER NOT NULL
);

-- One row per organisation × period × principle; principle NULL = the composite index.
CREATE TABLE scores (
    run_id              BIGINT NOT NULL,
    org_code            VARCHAR NOT NULL,
    period              VARCHAR NOT NULL,
    principle           VARCHAR,
    score               DOUBLE,             -- 0–100; NULL when status = insufficient_data
    coverage            DOUBLE NOT NULL,    -- share of the principle's weight reported
    status              VARCHAR NOT NULL,   -- ok | insufficient_data
    completeness        DOUBLE,
    timeliness_days     DOUBLE,
    consistency         DOUBLE,             -- share of values flagged (robust |z| > 3.5)
    consistency_flags   INTEGER,
    evidence            DOUBLE,
    grade_completeness  VARCHAR,            -- A (best) … D
    grade_timeliness    VARCHAR,
    grade_consistency   VARCHAR,
    grade_evidence      VARCHAR,
    grade               VARCHAR,            -- overall data quality grade
    nominal_rank        DOUBLE,             -- 1 = best, among the organisations scored in the period
    median_rank         DOUBLE,             -- composite rows: Monte Carlo over weights, normalisation,
    rank_p05            DOUBLE,             --   aggregation (NULL on principle rows)
    rank_p95            DOUBLE,
    ranked_count        INTEGER             -- how many organisations were ranked
);

-- Per indicator: what entered each score (the method card reads these).
CREATE TABLE score_indicators (
    run_id          BIGINT NOT NULL,
    org_code        VARCHAR NOT NULL,
    period          VARCHAR NOT NULL,
    indicator_code  VARCHAR NOT NULL,
    value           DOUBLE NOT NULL,    -- aggregated over the period (derived: the ratio)
    n_values        INTEGER NOT NULL,   -- sub-period values behind it
    method          VARCHAR,            -- normalisation; NULL for inputs no principle weighs
    transformed     DOUBLE,
    normalised      DOUBLE,             -- 0–1, oriented so 1 is best
    robust_z        DOUBLE,             -- against the organisation's own history; NULL = too short
    flagged         BOOLEAN NOT NULL    -- |robust_z| above the threshold: to review, still scored
);

-- Sustainability: one row per organisation × series (principle, composite or indicator).
CREATE TABLE score_trends (
    run_id          BIGINT NOT NULL,
    org_code        VARCHAR NOT NULL,
    principle       VARCHAR,            -- NULL with indicator_code NULL = the composite
    indicator_code  VARCHAR,
    last_period     VARCHAR NOT NULL,
    n_periods       INTEGER NOT NULL,
    slope           DOUBLE,             -- Theil–Sen, score points per period
    trend           VARCHAR NOT NULL,   -- improving | stable | declining | insufficient_data
    persistence     DOUBLE,
    current_run     INTEGER NOT NULL,
    sustained       BOOLEAN NOT NULL,
    progress        DOUBLE              -- toward the indicator's target, when it has one
);

-- First-order sensitivity of the composite ranks to each subjective choice.
CREATE TABLE score_sensitivity (
    run_id          BIGINT NOT NULL,
    period          VARCHAR NOT NULL,
    choice          VARCHAR NOT NULL,   -- weights | normalisation | aggregation
    first_order     DOUBLE NOT NULL
);
