-- source_matches_vault: the live keys of the vault are the ids in the source, entity by entity (the
-- source as it is now: a change since the last run shows here until the next run). First the two id
-- sets are compared whole by fingerprint, the count and the sum of a hash of every id, which the source
-- computes itself: cheap at any size. Only when those differ are the ids matched one by one to name
-- them: after a run (scoped), the ids of its delta (staging.stg_*) and the two counts; on demand, all.
{% for source, entity in [('course', 'course'), ('stream', 'stream'), ('stream_module', 'module'),
                          ('stream_module_lesson', 'lesson')] %}
{% set fingerprints_agree %}
(SELECT (count(*), sum(hashint4extended(id, 0))) FROM source.{{ source }})
    = (SELECT (count(*), sum(hashint4extended({{ entity }}_id, 0))) FROM vault.cur_{{ entity }})
{%- endset %}
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
WHERE (src.id IS NULL OR cur.{{ entity }}_id IS NULL)
  AND NOT {{ fingerprints_agree }}
{% if scoped %}
UNION ALL
SELECT 'count of source.{{ source }} vs vault.cur_{{ entity }}', src.n || ' vs ' || cur.n
FROM (SELECT count(*) AS n FROM source.{{ source }}) AS src,
     (SELECT count(*) AS n FROM vault.cur_{{ entity }}) AS cur
WHERE src.n <> cur.n
{% endif %}
{{ "UNION ALL" if not loop.last }}
{% endfor %}
