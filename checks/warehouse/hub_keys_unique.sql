-- hub_keys_unique: every business key stands once in its hub.
{% for hub, key in [('h_course', 'course_id'), ('h_stream', 'stream_id'), ('h_module', 'module_id'),
                    ('h_lesson', 'lesson_id')] %}
SELECT 'vault.{{ hub }}' AS tbl, {{ key }}::text AS offending_key
FROM vault.{{ hub }} GROUP BY {{ key }} HAVING count(*) > 1
{{ "UNION ALL" if not loop.last }}
{% endfor %}
