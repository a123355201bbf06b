-- rows_point_at_parents: every link row points at existing hub rows, every satellite row at its hub
-- or link row, every current-state row at its hub or link row.
{% set children = [
    ('l_course_stream', 'hk_course', 'h_course'), ('l_course_stream', 'hk_stream', 'h_stream'),
    ('l_stream_module', 'hk_stream', 'h_stream'), ('l_stream_module', 'hk_module', 'h_module'),
    ('l_module_lesson', 'hk_module', 'h_module'), ('l_module_lesson', 'hk_lesson', 'h_lesson'),
    ('s_course', 'hk_course', 'h_course'), ('s_stream', 'hk_stream', 'h_stream'),
    ('s_module', 'hk_module', 'h_module'), ('s_lesson', 'hk_lesson', 'h_lesson'),
    ('s_course_stream_eff', 'hk_course_stream', 'l_course_stream'),
    ('s_stream_module_eff', 'hk_stream_module', 'l_stream_module'),
    ('s_module_lesson_eff', 'hk_module_lesson', 'l_module_lesson'),
    ('cur_course', 'hk_course', 'h_course'), ('cur_stream', 'hk_stream', 'h_stream'),
    ('cur_module', 'hk_module', 'h_module'), ('cur_lesson', 'hk_lesson', 'h_lesson'),
    ('cur_course_stream', 'hk_course_stream', 'l_course_stream'),
    ('cur_stream_module', 'hk_stream_module', 'l_stream_module'),
    ('cur_module_lesson', 'hk_module_lesson', 'l_module_lesson'),
] %}
{% for child, key, parent in children %}
SELECT 'vault.{{ child }}.{{ key }}' AS tbl, child.{{ key }}::text AS offending_key
FROM vault.{{ child }} AS child
WHERE NOT EXISTS (SELECT FROM vault.{{ parent }} AS parent WHERE parent.{{ key }} = child.{{ key }})
{{ "UNION ALL" if not loop.last }}
{% endfor %}
