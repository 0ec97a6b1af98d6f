-- The reporting calendar (issue 13): per period kind, the deadline and who reports it.
-- Which indicators are expected stays with issue 12 (framework rules + org_expectations).

-- One row per period kind the committee has set: quarter | semester | year.
-- deadline_days: the period is due until its last day plus this many days, late after.
-- everyone: every active organisation reports this kind, unless org_calendar says otherwise.
-- from_year: the first year whose periods of this kind are asked for (older ones never become late).
CREATE TABLE reporting_calendar (
    period_kind     VARCHAR PRIMARY KEY,
    deadline_days   INTEGER NOT NULL,
    everyone        BOOLEAN NOT NULL,
    from_year       INTEGER NOT NULL,
    set_by          VARCHAR NOT NULL,   -- the audit actor (account:…, cli:…)
    set_at          TIMESTAMP NOT NULL  -- UTC
);

-- Per-organisation exceptions: reports = TRUE adds the kind for this organisation, FALSE removes it.
-- Absent = the kind's ``everyone`` decides.
CREATE TABLE org_calendar (
    org_code        VARCHAR NOT NULL,
    period_kind     VARCHAR NOT NULL,
    reports         BOOLEAN NOT NULL,
    set_by          VARCHAR NOT NULL,
    set_at          TIMESTAMP NOT NULL,
    PRIMARY KEY (org_code, period_kind)
);
