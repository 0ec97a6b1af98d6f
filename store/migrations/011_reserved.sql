-- Reserved for another part of issue 12 (merged separately): this branch (i12-expect) only needs
-- the numbers to be contiguous. Drop this file when the real 011 migration is merged.
SELECT 1;
