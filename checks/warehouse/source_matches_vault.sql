-- source_matches_vault: the live keys of the vault are the ids in the source, entity by entity (the
-- source as it is now: a change since the last run shows here until the next run). After a run
-- (scoped), the ids of its delta (staging.stg_*) key by key, and for every entity the two counts,
-- which the source computes itself: cheap at any size, and a key missing or extra anywhere shows there.
{% for source, entity in [('course', 'course'), ('stream', 'stream'), ('stream_module', 'module'),
                          ('stream_module_lesson', 'lesson')] %}
SELECT 'source.{{ source }} vs vault.cur_{{ entity }}' AS tbl, coalesce(src.id, cur.{{ entity }}_id)::text AS offending_key
FROM (
    SELECT id FROM source.{{ source }}
{% if scoped %}
    WHERE id = ANY ((SELECT array_agg({{ entity }}_id) FROM staging.stg_{{ entity }})::integer[])
{% endif %}
) AS src
FULL JOIN (
    SELECT {{ entity }}_id FROM vault.cur_{{ entity }}
{% if scoped %}
    WHERE hk_{{ entity }} IN (SELECT hk_{{ entity }} FROM staging.stg_{{ entity }})
{% endif %}
) AS cur ON cur.{{ entity }}_id = src.id
WHERE src.id IS NULL OR cur.{{ entity }}_id IS NULL
{% if scoped %}
UNION ALL
SELECT 'count of source.{{ source }} vs vault.cur_{{ entity }}', src.n || ' vs ' || cur.n
FROM (SELECT count(*) AS n FROM source.{{ source }}) AS src,
     (SELECT count(*) AS n FROM vault.cur_{{ entity }}) AS cur
WHERE src.n <> cur.n
{% endif %}
{{ "UNION ALL" if not loop.last }}
{% endfor %}
