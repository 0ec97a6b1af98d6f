-- Who uploaded a submission, as typed columns instead of a ``member:CODE`` string parsed in SQL.
-- uploader_kind:    member | steering | funder | other (free text, e.g. a command-line --uploaded-by);
--                   NULL when unknown.
-- uploader_org:     the member's organisation code (member uploads only).
-- uploader_account: the steering or funder account name, or the free text itself (kind other).
-- ``uploaded_by`` stays as it was written; rows older than this migration are filled from it.

ALTER TABLE submissions ADD COLUMN uploader_kind VARCHAR;
ALTER TABLE submissions ADD COLUMN uploader_org VARCHAR;
ALTER TABLE submissions ADD COLUMN uploader_account VARCHAR;

UPDATE submissions SET
    uploader_kind = CASE
        WHEN uploaded_by IS NULL OR trim(uploaded_by) = '' THEN NULL
        WHEN starts_with(uploaded_by, 'member:') THEN 'member'
        WHEN uploaded_by = 'steering' OR starts_with(uploaded_by, 'steering:') THEN 'steering'
        WHEN uploaded_by = 'funder' OR starts_with(uploaded_by, 'funder:') THEN 'funder'
        ELSE 'other' END,
    uploader_org = CASE WHEN starts_with(uploaded_by, 'member:') THEN substr(uploaded_by, 8) END,
    uploader_account = CASE
        WHEN uploaded_by IS NULL OR trim(uploaded_by) = '' OR starts_with(uploaded_by, 'member:') THEN NULL
        WHEN uploaded_by IN ('steering', 'funder') THEN NULL
        WHEN starts_with(uploaded_by, 'steering:') THEN substr(uploaded_by, 10)
        WHEN starts_with(uploaded_by, 'funder:') THEN substr(uploaded_by, 8)
        ELSE uploaded_by END;
