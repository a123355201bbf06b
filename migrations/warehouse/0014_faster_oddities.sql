-- vault.v_oddities counted lessons without a module with an anti-join of 1M current lessons against
-- 1M current placements (about a second at 1M lessons, after every run that changed something).
-- After a complete run every current placement's child is a current entity (the satellite and
-- effectivity steps of one delta retire both together), so the orphans are the current children
-- minus the placements under a current parent: two scans and a semi-join against the small parent
-- table. Same rows, same order.
-- depends: 0013_run_oddities

CREATE OR REPLACE VIEW vault.v_oddities AS
SELECT 'streams without a course' AS oddity,
       (SELECT count(*) FROM vault.cur_stream)
       - (SELECT count(*) FROM vault.cur_course_stream AS cs
          WHERE EXISTS (SELECT FROM vault.cur_course AS c WHERE c.hk_course = cs.hk_course)) AS count
UNION ALL
SELECT 'modules without a stream',
       (SELECT count(*) FROM vault.cur_module)
       - (SELECT count(*) FROM vault.cur_stream_module AS sm
          WHERE EXISTS (SELECT FROM vault.cur_stream AS st WHERE st.hk_stream = sm.hk_stream))
UNION ALL
SELECT 'lessons without a module',
       (SELECT count(*) FROM vault.cur_lesson)
       - (SELECT count(*) FROM vault.cur_module_lesson AS ml
          WHERE EXISTS (SELECT FROM vault.cur_module AS mo WHERE mo.hk_module = ml.hk_module))
UNION ALL
SELECT 'courses without a title', count(*) FROM vault.cur_course WHERE title IS NULL
UNION ALL
SELECT 'streams without a name', count(*) FROM vault.cur_stream WHERE name IS NULL
UNION ALL
SELECT 'modules without a title', count(*) FROM vault.cur_module WHERE title IS NULL
UNION ALL
SELECT 'lessons without a title', count(*) FROM vault.cur_lesson WHERE title IS NULL;
