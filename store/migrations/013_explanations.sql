-- Explained values (issue 13): a member's short explanation of a value the consistency rule flags
-- (robust z against the organisation's own history), written with the value it explains.
-- Keyed like a stored value (organisation, indicator, period, breakdown) and tied to the submission
-- that brought the value: a later correction (another submission) is not explained by it. A newer
-- explanation of the same value closes the earlier one (valid_to), so the history stays.
-- origin: 'upload' (the upload preview), 'form' (the in-app form), 'page' (afterwards, on a page)
-- or 'cli'. author: the audit actor (account:<name>, cli:<user>).

CREATE TABLE value_explanations (
    org_code        VARCHAR NOT NULL,
    indicator_code  VARCHAR NOT NULL,
    period          VARCHAR NOT NULL,
    sex             VARCHAR,            -- the breakdown of the value (NULL = total)
    age_band        VARCHAR,
    disability      VARCHAR,
    area            VARCHAR,
    region          VARCHAR,
    submission_id   BIGINT NOT NULL,    -- the submission whose value this explains
    value           DOUBLE,             -- the value as explained
    explanation     VARCHAR NOT NULL,
    author          VARCHAR NOT NULL,
    origin          VARCHAR NOT NULL,
    explained_at    TIMESTAMP NOT NULL, -- UTC
    valid_to        TIMESTAMP           -- NULL while current
);

-- How many of a score's flagged values were explained (metrics.quality: an explained flagged value
-- counts half against consistency). NULL for runs recorded before this migration.
ALTER TABLE scores ADD COLUMN consistency_explained INTEGER;
