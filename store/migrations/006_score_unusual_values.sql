-- Values flagged as unusual by a scoring run, checked at the granularity they were submitted
-- (metrics.outliers.unusual_values with the run framework's quality.min_history and outlier_z),
-- with the context a reviewer needs. Part of the run: written in its transaction, never updated.

CREATE TABLE score_unusual_values (
    run_id          BIGINT NOT NULL,
    org_code        VARCHAR NOT NULL,
    indicator_code  VARCHAR NOT NULL,
    granularity     VARCHAR NOT NULL,   -- as submitted: year | semester | quarter | month
    period          VARCHAR NOT NULL,
    period_start    DATE,
    value           DOUBLE NOT NULL,
    unit            VARCHAR,
    sex             VARCHAR,            -- the breakdown of the series (NULL = total)
    age_band        VARCHAR,
    disability      VARCHAR,
    area            VARCHAR,
    region          VARCHAR,
    submission_id   BIGINT,
    usual_level     DOUBLE NOT NULL,    -- the series' median, the centre of the z-score
    previous_value  DOUBLE,             -- the value of the period before in the same series
    n_periods       INTEGER NOT NULL,   -- values in the series
    robust_z        DOUBLE NOT NULL,    -- |robust_z| above the framework's outlier_z
    rank            INTEGER NOT NULL    -- 1 = the largest deviation (the order the page shows)
);
