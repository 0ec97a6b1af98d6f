-- Overlap declared on the upload page or the command line, and programme umbrellas (issue 12).
-- A declaration made outside a file has no submission and no line: it records who made it instead
-- (``declared_by``, the audit actor) and where (``origin``: 'file', 'page' or 'cli'). Removing a
-- declaration closes it (valid_to), so the history stays.

ALTER TABLE shared_beneficiaries ALTER COLUMN submission_id DROP NOT NULL;
ALTER TABLE shared_beneficiaries ALTER COLUMN line DROP NOT NULL;
ALTER TABLE shared_beneficiaries ADD COLUMN origin VARCHAR DEFAULT 'file';
ALTER TABLE shared_beneficiaries ADD COLUMN declared_by VARCHAR;

-- A programme umbrella: ``org_code``'s count of ``indicator_code`` in ``period`` belongs to the
-- programme ``programme`` (a free code, stored upper-case). Organisations sharing a programme for
-- an indicator and period are assumed to serve the same people within it: the network's
-- deduplicated estimate counts, per programme, only its largest member's count.
-- One programme per organisation, indicator and period; a later declaration closes the earlier one.
CREATE TABLE programme_members (
    submission_id   BIGINT,             -- NULL when declared on the page or the command line
    line            BIGINT,
    org_code        VARCHAR NOT NULL,
    indicator_code  VARCHAR NOT NULL,
    period          VARCHAR NOT NULL,
    period_start    DATE NOT NULL,
    period_end      DATE NOT NULL,
    programme       VARCHAR NOT NULL,
    origin          VARCHAR NOT NULL,   -- 'file', 'page' or 'cli'
    declared_by     VARCHAR,
    valid_from      TIMESTAMP NOT NULL,
    valid_to        TIMESTAMP           -- NULL while current
);
