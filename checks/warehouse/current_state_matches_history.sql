-- current_state_matches_history: vault.cur_<entity> holds exactly the keys whose latest satellite row
-- is not deleted, with that row's load time, hashdiff and every attribute, under the hash of its
-- business key; vault.cur_<relationship> holds exactly the children whose latest effectivity row of a
-- link is current, with that link's parent and child. After a run (scoped), only the keys of its delta
-- (staging.stg_*) and the links it wrote; the latest rows are then found key by key along the primary
-- key (hash key, load_ts).
-- After a first load (scoped, and no history from before the run, so each key's one row is its latest)
-- the two sides are compared whole, by fingerprint: the count and the sum of a hash of every row
-- (hash_record_extended, PostgreSQL 14 and later) of each side, a few table scans, where matching every
-- key took several times as long. Only when the fingerprints differ are the keys matched one by one, to
-- name those that differ.
{% set entities = {
    'course': ['title', 'icon_url', 'is_auto_course_enroll', 'is_demo_enroll', 'created_at', 'updated_at',
               'deleted_at'],
    'stream': ['name', 'is_open', 'homework_deadline_days', 'start_at', 'end_at', 'created_at', 'updated_at',
               'deleted_at'],
    'module': ['title', 'order_in_stream', 'created_at', 'updated_at', 'deleted_at'],
    'lesson': ['title', 'description', 'teacher_id', 'start_at', 'end_at', 'homework_url', 'online_lesson_join_url',
               'online_lesson_recording_url', 'deleted_at'],
} %}
{% macro fingerprint(columns, table, where='true') -%}
(SELECT (count(*), sum(hash_record_extended(ROW({{ columns | join(', ') }}), 0))) FROM {{ table }} WHERE {{ where }})
{%- endmacro %}
{% for entity, attributes in entities.items() %}
{% set hk = 'hk_' ~ entity %}
{% set compared = ['load_ts', 'hashdiff'] + attributes %}
{% set first_load = 'NOT EXISTS (SELECT FROM vault.s_' ~ entity ~ ' WHERE load_ts < ' ~ run_ts ~ ')' %}
SELECT 'vault.cur_{{ entity }}' AS tbl, coalesce(latest.{{ hk }}, cur.{{ hk }})::text AS offending_key
FROM (
{% if scoped %}
    -- a first load: each key's one row
    SELECT {{ hk }}, is_deleted, {{ compared | join(', ') }} FROM vault.s_{{ entity }} WHERE {{ first_load }}
    UNION ALL
{% endif %}
    SELECT * FROM (
        SELECT DISTINCT ON ({{ hk }}) {{ hk }}, is_deleted, {{ compared | join(', ') }}
        FROM vault.s_{{ entity }}
{% if scoped %}
        WHERE {{ hk }} IN (SELECT {{ hk }} FROM staging.stg_{{ entity }})
{% endif %}
        ORDER BY {{ hk }} DESC, load_ts DESC
    ) AS keyed
{% if scoped %}
    WHERE NOT {{ first_load }}
{% endif %}
) AS latest
FULL JOIN (
{% if scoped %}
    SELECT * FROM vault.cur_{{ entity }} WHERE {{ first_load }}
    UNION ALL
    SELECT * FROM vault.cur_{{ entity }}
    WHERE {{ hk }} IN (SELECT {{ hk }} FROM staging.stg_{{ entity }}) AND NOT {{ first_load }}
{% else %}
    SELECT * FROM vault.cur_{{ entity }}
{% endif %}
) AS cur USING ({{ hk }})
WHERE CASE WHEN latest.{{ hk }} IS NULL OR latest.is_deleted THEN cur.{{ hk }} IS NOT NULL
           ELSE cur.{{ hk }} IS NULL
                OR cur.{{ hk }} <> md5(cur.{{ entity }}_id::text)::uuid
                OR (cur.{{ compared | join(', cur.') }})
                   IS DISTINCT FROM (latest.{{ compared | join(', latest.') }}) END
{% if scoped %}
  -- after a first load, key by key only when the fingerprints differ: of the history's live rows and
  -- the current state, and of the current state's (key, id) pairs and the hub's (whose CHECK holds
  -- each key to the hash of its id)
  AND NOT ({{ first_load }}
           AND {{ fingerprint([hk] + compared, 'vault.s_' ~ entity, 'NOT is_deleted') }}
               = {{ fingerprint([hk] + compared, 'vault.cur_' ~ entity) }}
           AND {{ fingerprint([hk, entity ~ '_id'], 'vault.cur_' ~ entity) }}
               = {{ fingerprint([hk, entity ~ '_id'], 'vault.h_' ~ entity) }})
{% endif %}
UNION ALL
{% endfor %}
{% for parent, child in [('course', 'stream'), ('stream', 'module'), ('module', 'lesson')] %}
{% set link = parent ~ '_' ~ child %}
{% set hk = 'hk_' ~ link %}
{% set first_load = 'NOT EXISTS (SELECT FROM vault.s_' ~ link ~ '_eff WHERE load_ts < ' ~ run_ts ~ ')' %}
SELECT 'vault.cur_{{ link }}' AS tbl, coalesce(latest.{{ hk }}, cur.{{ hk }})::text AS offending_key
FROM (
{% if scoped %}
    -- a first load: each link's one effectivity row
    SELECT e.{{ hk }}, e.is_deleted, l.hk_{{ parent }}, l.hk_{{ child }}
    FROM vault.s_{{ link }}_eff AS e
    JOIN vault.l_{{ link }} AS l USING ({{ hk }})
    WHERE {{ first_load }}
    UNION ALL
{% endif %}
    SELECT * FROM (
        SELECT DISTINCT ON (e.{{ hk }}) e.{{ hk }}, e.is_deleted, l.hk_{{ parent }}, l.hk_{{ child }}
        FROM vault.s_{{ link }}_eff AS e
        JOIN vault.l_{{ link }} AS l USING ({{ hk }})
{% if scoped %}
        WHERE e.{{ hk }} IN (
            SELECT {{ hk }} FROM vault.s_{{ link }}_eff WHERE load_ts = {{ run_ts }}
            UNION ALL
            SELECT {{ hk }} FROM vault.cur_{{ link }}
            WHERE hk_{{ child }} IN (SELECT hk_{{ child }} FROM staging.stg_{{ child }})
        )
{% endif %}
        ORDER BY e.{{ hk }} DESC, e.load_ts DESC
    ) AS keyed
{% if scoped %}
    WHERE NOT {{ first_load }}
{% endif %}
) AS latest
FULL JOIN (
{% if scoped %}
    SELECT * FROM vault.cur_{{ link }} WHERE {{ first_load }}
    UNION ALL
    SELECT * FROM vault.cur_{{ link }}
    WHERE hk_{{ child }} IN (SELECT hk_{{ child }} FROM staging.stg_{{ child }}) AND NOT {{ first_load }}
{% else %}
    SELECT * FROM vault.cur_{{ link }}
{% endif %}
) AS cur USING ({{ hk }})
WHERE CASE WHEN latest.{{ hk }} IS NULL OR latest.is_deleted THEN cur.{{ hk }} IS NOT NULL
           ELSE cur.{{ hk }} IS NULL
                OR (cur.hk_{{ parent }}, cur.hk_{{ child }}) IS DISTINCT FROM (latest.hk_{{ parent }}, latest.hk_{{ child }})
                OR cur.hk_{{ parent }} <> md5(cur.{{ parent }}_id::text)::uuid
                OR cur.hk_{{ child }} <> md5(cur.{{ child }}_id::text)::uuid END
{% if scoped %}
  -- after a first load, key by key only when the fingerprints differ: every link has one live
  -- effectivity row, the current state holds every link, and each current row's ids are those its
  -- hubs hold under its keys (a join: cheaper than hashing every id again; counted, as an inner join
  -- the planner hashes the smaller hub, where as an anti-join it walked the current state's index of
  -- parent keys, six times as long)
  AND NOT ({{ first_load }}
           AND {{ fingerprint([hk], 'vault.s_' ~ link ~ '_eff', 'NOT is_deleted') }}
               = {{ fingerprint([hk], 'vault.l_' ~ link) }}
           AND {{ fingerprint([hk, 'hk_' ~ parent, 'hk_' ~ child], 'vault.l_' ~ link) }}
               = {{ fingerprint([hk, 'hk_' ~ parent, 'hk_' ~ child], 'vault.cur_' ~ link) }}
{% for hub in [parent, child] %}
           AND (SELECT count(*) FROM vault.cur_{{ link }} AS cur
                JOIN vault.h_{{ hub }} AS h ON h.hk_{{ hub }} = cur.hk_{{ hub }} AND h.{{ hub }}_id = cur.{{ hub }}_id)
               = (SELECT count(*) FROM vault.cur_{{ link }})
{% endfor %}
          )
{% endif %}
{{ "UNION ALL" if not loop.last }}
{% endfor %}
