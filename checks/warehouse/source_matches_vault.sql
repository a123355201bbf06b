-- source_matches_vault: the live keys of the vault are the ids in the source, entity by entity
-- (the source as it is now: a change since the last run shows here until the next run).
{% for source, entity in [('course', 'course'), ('stream', 'stream'), ('stream_module', 'module'),
                          ('stream_module_lesson', 'lesson')] %}
SELECT 'source.{{ source }} vs vault.cur_{{ entity }}' AS tbl, id::text AS offending_key
FROM (
    (SELECT id FROM source.{{ source }} EXCEPT SELECT {{ entity }}_id FROM vault.cur_{{ entity }})
    UNION ALL
    (SELECT {{ entity }}_id FROM vault.cur_{{ entity }} EXCEPT SELECT id FROM source.{{ source }})
) AS differences (id)
{{ "UNION ALL" if not loop.last }}
{% endfor %}
