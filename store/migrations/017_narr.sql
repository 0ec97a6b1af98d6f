-- Narratives (issue 14): per organisation, period and principle, a short text a member writes in
-- fr, ar or en (and an optional http(s) link to evidence), carried by a submission — a file's
-- Récit sheet or narrative rows, or the in-app form — and stored in its transaction. A narrative
-- follows its submission's review (submitted → approved | returned: submissions.review_status):
-- nothing here is updated or deleted; the latest submission's narrative of a key is the one shown.
-- origin: 'upload' | 'form' | 'cli'; author: the audit actor (account:<name>, cli:<user>).

CREATE TABLE narratives (
    submission_id   BIGINT NOT NULL,    -- the submission that carried it (versioned and reviewed with it)
    line            BIGINT,             -- its row in the file as Excel shows it (NULL from the form)
    sheet           VARCHAR,            -- the workbook sheet it came from (NULL: a flat file or the form)
    org_code        VARCHAR NOT NULL,
    period          VARCHAR NOT NULL,   -- canonical label (2025, 2025-Q4…)
    principle       VARCHAR NOT NULL,   -- the framework's principle code
    lang            VARCHAR NOT NULL,   -- fr | ar | en
    text            VARCHAR NOT NULL,   -- plain text, never rendered as HTML or Markdown
    evidence_url    VARCHAR,            -- http(s) only
    author          VARCHAR NOT NULL,
    origin          VARCHAR NOT NULL,
    written_at      TIMESTAMP NOT NULL  -- UTC
);
