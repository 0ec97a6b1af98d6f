-- Shared beneficiaries declared by members (issue 12, network reach without double counting).
-- A row says: of the value ``org_code`` reported for ``indicator_code`` in ``period``, ``shared_count``
-- people are also counted by the member ``shared_with``. The network's reach subtracts declared
-- overlaps from the plain sum for its lower bound (never below the largest organisation).
-- A later file declaring the same organisation, indicator, period and partner closes the earlier
-- declaration (valid_to), as corrected observations are closed.

CREATE TABLE shared_beneficiaries (
    submission_id   BIGINT NOT NULL,
    line            BIGINT NOT NULL,    -- as Excel shows it in the submitted file (header = 1)
    org_code        VARCHAR NOT NULL,
    indicator_code  VARCHAR NOT NULL,
    period          VARCHAR NOT NULL,
    period_start    DATE NOT NULL,
    period_end      DATE NOT NULL,
    shared_with     VARCHAR NOT NULL,   -- a registered member organisation
    shared_count    DOUBLE NOT NULL,    -- people counted by both, at most the row's value
    valid_from      TIMESTAMP NOT NULL,
    valid_to        TIMESTAMP           -- NULL while current
);
