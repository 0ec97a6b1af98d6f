-- Placeholder for issue 13's migration 011 (another part of the reporting cycle), so that this
-- branch numbers its migrations 1..n without a gap. The integrator drops this file when the real
-- 011 lands (it creates nothing).
SELECT 1;
