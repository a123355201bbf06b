-- source_matches_vault: the live keys of the vault are the ids in the source, entity by entity
-- (the source as it is now: a change since the last run shows here until the next run). The source's
-- ids are read once, and full-joined with the current state.
{% for source, entity in [('course', 'course'), ('stream', 'stream'), ('stream_module', 'module'),
                          ('stream_module_lesson', 'lesson')] %}
SELECT 'source.{{ source }} vs vault.cur_{{ entity }}' AS tbl, coalesce(src.id, cur.{{ entity }}_id)::text AS offending_key
FROM source.{{ source }} AS src
FULL JOIN vault.cur_{{ entity }} AS cur ON cur.{{ entity }}_id = src.id
WHERE src.id IS NULL OR cur.{{ entity }}_id IS NULL
{{ "UNION ALL" if not loop.last }}
{% endfor %}
