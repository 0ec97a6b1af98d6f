-- What each organisation is expected to report, and its targets and baselines (issue 12).

-- The steering committee's overrides of the framework's expectation rules, one organisation and
-- indicator at a time: expected = TRUE adds the indicator to what the organisation is expected to
-- report, FALSE removes it. Absent = the framework's rules decide.
CREATE TABLE org_expectations (
    org_code        VARCHAR NOT NULL,
    indicator_code  VARCHAR NOT NULL,
    expected        BOOLEAN NOT NULL,
    set_by          VARCHAR NOT NULL,   -- the audit actor (account:…, cli:…)
    set_at          TIMESTAMP NOT NULL, -- UTC
    PRIMARY KEY (org_code, indicator_code)
);

-- One baseline and one target per organisation and indicator (the latest given wins), from a
-- submitted file (its target and baseline columns) or set by the steering committee.
CREATE TABLE org_targets (
    org_code        VARCHAR NOT NULL,
    indicator_code  VARCHAR NOT NULL,
    baseline        DOUBLE,
    baseline_period VARCHAR,            -- the period the baseline describes (a file row's period)
    target          DOUBLE,
    target_period   VARCHAR,            -- the period the target is for
    origin          VARCHAR NOT NULL,   -- file | committee
    submission_id   BIGINT,             -- the file it came from (origin = file)
    set_by          VARCHAR NOT NULL,
    set_at          TIMESTAMP NOT NULL,
    PRIMARY KEY (org_code, indicator_code)
);

-- The indicators each organisation was expected to report in a run (what completeness counted),
-- so the pages name the missing ones as the run saw them.
CREATE TABLE score_expected (
    run_id          BIGINT NOT NULL,
    org_code        VARCHAR NOT NULL,
    indicator_code  VARCHAR NOT NULL
);
