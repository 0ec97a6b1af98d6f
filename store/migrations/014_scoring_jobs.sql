-- Scores that follow (issue 13): accepting (later: approving) a submission records a scoring
-- request in the same transaction; a worker (the app's background thread, or
-- ``python -m metrics score --pending``) claims every pending request, scores once for all of
-- them and marks them done in the run's own transaction. A failed attempt goes back to pending
-- once, then stays failed. ``worker`` names the process that claimed a request: DuckDB lets one
-- process hold the file, so a request left running by another process is a dead claim.
CREATE SEQUENCE scoring_request_id_seq START 1;
CREATE TABLE scoring_requests (
    id              BIGINT PRIMARY KEY DEFAULT nextval('scoring_request_id_seq'),
    requested_at    TIMESTAMP NOT NULL,
    origin          VARCHAR NOT NULL,             -- 'upload', 'approval', 'cli', …: what asked for it
    requested_by    VARCHAR NOT NULL,             -- the audit actor of the change that asked
    submission_id   BIGINT,                       -- the submission it follows, when there is one
    status          VARCHAR NOT NULL DEFAULT 'pending',  -- pending | running | done | failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    worker          VARCHAR,
    started_at      TIMESTAMP,
    finished_at     TIMESTAMP,
    run_id          BIGINT,                       -- the run that covered it
    error           VARCHAR                       -- the last failure (exception type and message)
);
