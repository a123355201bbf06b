-- What is odd in the current state of the source, as the last run loaded it: orphans (shown in the
-- mart under an unknown parent) and missing titles. The runner reports it after every run.
-- depends: 0006_current_state

CREATE VIEW vault.v_oddities AS
SELECT 'streams without a course' AS oddity, count(*) AS count
FROM vault.cur_stream AS st
WHERE NOT EXISTS (SELECT FROM vault.cur_course_stream AS cs JOIN vault.cur_course USING (hk_course)
                  WHERE cs.hk_stream = st.hk_stream)
UNION ALL
SELECT 'modules without a stream', count(*)
FROM vault.cur_module AS mo
WHERE NOT EXISTS (SELECT FROM vault.cur_stream_module AS sm JOIN vault.cur_stream USING (hk_stream)
                  WHERE sm.hk_module = mo.hk_module)
UNION ALL
SELECT 'lessons without a module', count(*)
FROM vault.cur_lesson AS le
WHERE NOT EXISTS (SELECT FROM vault.cur_module_lesson AS ml JOIN vault.cur_module USING (hk_module)
                  WHERE ml.hk_lesson = le.hk_lesson)
UNION ALL
SELECT 'courses without a title', count(*) FROM vault.cur_course WHERE title IS NULL
UNION ALL
SELECT 'streams without a name', count(*) FROM vault.cur_stream WHERE name IS NULL
UNION ALL
SELECT 'modules without a title', count(*) FROM vault.cur_module WHERE title IS NULL
UNION ALL
SELECT 'lessons without a title', count(*) FROM vault.cur_lesson WHERE title IS NULL;
