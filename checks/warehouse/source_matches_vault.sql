-- source_matches_vault: the live keys of the vault are the ids in the source, entity by entity. First the
-- two id sets are compared whole by fingerprint, the count and the sum of a hash of every id: cheap at any
-- size. Right after a run (scoped, and the scheduler's whole-table checks that follow a run) the source's
-- side is the one the run's staging steps recorded as they read it (staging.stg_source_ids,
-- record_source_ids in transforms/macros.sql), so a live source that gained or lost a row since does not
-- fail the checks; on demand, the source as it is now, which computes it itself (a change since the last
-- run shows there until the next run). Only when the fingerprints differ are the ids matched one by one
-- to name them, with the source as it is now: after a run, the ids of its delta (staging.stg_*) and the
-- two counts for a difference the delta does not reach; in whole tables, all ids.
{% from 'macros.sql' import id_fingerprint %}
{% set entities = [('course', 'course'), ('stream', 'stream'), ('stream_module', 'module'),
                   ('stream_module_lesson', 'lesson')] %}
WITH fingerprints AS MATERIALIZED (
{% for source, entity in entities %}
    SELECT '{{ entity }}' AS entity, '{{ source }}' AS source_table, src.n AS source_ids, src.h AS source_hash, cur.n AS vault_ids, cur.h AS vault_hash
{% if source_as_read %}
    FROM (SELECT sum(ids) AS n, sum(id_hash) AS h FROM staging.stg_source_ids WHERE entity = '{{ entity }}') AS src,
{% else %}
    FROM (SELECT {{ id_fingerprint('id') }} FROM source.{{ source }}) AS src (n, h),
{% endif %}
         (SELECT {{ id_fingerprint(entity ~ '_id') }} FROM vault.cur_{{ entity }}) AS cur (n, h)
    {{ "UNION ALL" if not loop.last }}
{% endfor %}
),
differ AS (SELECT * FROM fingerprints WHERE (source_ids, source_hash) IS DISTINCT FROM (vault_ids, vault_hash))
{% for source, entity in entities %}
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
  AND EXISTS (SELECT FROM differ WHERE entity = '{{ entity }}')
UNION ALL
{% endfor %}
{% if source_as_read %}
SELECT 'count of source.' || source_table || ' vs vault.cur_' || entity,
       coalesce(source_ids::text, 'none staged') || ' vs ' || vault_ids
FROM differ
WHERE source_ids IS DISTINCT FROM vault_ids
{% else %}
SELECT NULL, NULL WHERE false
{% endif %}
