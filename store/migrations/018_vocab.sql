-- Funder vocabulary (issue 14): a link may present indicators by the funder's identifiers — IRIS+
-- metric IDs or SDG targets — beside Athar's own codes. ``athar`` (the default) shows Athar's codes only.
ALTER TABLE share_links ADD COLUMN vocabulary VARCHAR DEFAULT 'athar';
UPDATE share_links SET vocabulary = 'athar' WHERE vocabulary IS NULL;
