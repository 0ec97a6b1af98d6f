-- Review and approval (issue 13): a submission goes submitted → approved, or returned with
-- comments; approving locks the organisation's periods it covers; a correction after approval
-- reopens a period through a request with a reason, which the committee grants or refuses.
-- Nothing here is deleted: a lock is released (released_at), a request decided (decided_at).

-- submitted | approved | returned. Submissions stored before the review cycle existed count as
-- approved (what funders saw stays visible) without a lock: locks come from an approval only.
ALTER TABLE submissions ADD COLUMN review_status VARCHAR DEFAULT 'submitted';
UPDATE submissions SET review_status = 'approved';
ALTER TABLE submissions ADD COLUMN reviewed_at TIMESTAMP;
ALTER TABLE submissions ADD COLUMN reviewed_by VARCHAR;

CREATE SEQUENCE review_comment_id_seq START 1;

-- The committee's comments: on the whole submission (indicator_code NULL) or on one value.
CREATE TABLE review_comments (
    id              BIGINT PRIMARY KEY DEFAULT nextval('review_comment_id_seq'),
    submission_id   BIGINT NOT NULL,
    org_code        VARCHAR,
    indicator_code  VARCHAR,            -- NULL = the submission as a whole
    period          VARCHAR,
    line            BIGINT,             -- the value's line in the submitted file, when known
    comment         VARCHAR NOT NULL,
    written_at      TIMESTAMP NOT NULL, -- UTC
    written_by      VARCHAR NOT NULL
);

CREATE SEQUENCE period_lock_id_seq START 1;

-- One organisation's period, locked by an approval: an upload touching it is refused.
CREATE TABLE period_locks (
    id              BIGINT PRIMARY KEY DEFAULT nextval('period_lock_id_seq'),
    org_code        VARCHAR NOT NULL,
    period          VARCHAR NOT NULL,   -- canonical label of the approved values (2025, 2025-Q4…)
    period_start    DATE NOT NULL,
    period_end      DATE NOT NULL,
    submission_id   BIGINT NOT NULL,    -- the approval that locked it
    locked_at       TIMESTAMP NOT NULL,
    locked_by       VARCHAR NOT NULL,
    released_at     TIMESTAMP,          -- NULL while locked
    released_by     VARCHAR,
    reopen_id       BIGINT              -- the granted request that released it
);

CREATE SEQUENCE reopen_request_id_seq START 1;

-- A correction after approval: asked with a reason, granted (the locks released) or refused.
CREATE TABLE reopen_requests (
    id              BIGINT PRIMARY KEY DEFAULT nextval('reopen_request_id_seq'),
    org_code        VARCHAR NOT NULL,
    period          VARCHAR NOT NULL,
    reason          VARCHAR NOT NULL,
    requested_at    TIMESTAMP NOT NULL,
    requested_by    VARCHAR NOT NULL,
    status          VARCHAR NOT NULL,   -- pending | granted | refused
    decided_at      TIMESTAMP,
    decided_by      VARCHAR
);

-- The approval state a scoring run used: which of its submissions were approved when it ran.
ALTER TABLE score_runs ADD COLUMN approved_submission_ids BIGINT[];
UPDATE score_runs SET approved_submission_ids = submission_ids;

-- The scores of a run resting on values not approved when it ran (labelled provisional).
CREATE TABLE score_provisional (
    run_id          BIGINT NOT NULL,
    org_code        VARCHAR NOT NULL,
    period          VARCHAR NOT NULL
);

-- A funder link may also show values not yet approved, labelled provisional.
ALTER TABLE share_links ADD COLUMN include_provisional BOOLEAN DEFAULT FALSE;
