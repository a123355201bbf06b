-- current_state_matches_history: vault.cur_<entity> holds exactly the keys whose latest satellite row
-- is not deleted, with that row's load time, hashdiff and every attribute, under the hash of its
-- business key; vault.cur_<relationship> holds exactly the children whose latest effectivity row of a
-- link is current, with that link's parent and child. After a run (scoped), only the keys of its delta
-- (staging.stg_*) and the links it wrote; the latest rows are then found key by key along the primary
-- key (hash key, load_ts).
{% set entities = {
    'course': ['title', 'icon_url', 'is_auto_course_enroll', 'is_demo_enroll', 'created_at', 'updated_at',
               'deleted_at'],
    'stream': ['name', 'is_open', 'homework_deadline_days', 'start_at', 'end_at', 'created_at', 'updated_at',
               'deleted_at'],
    'module': ['title', 'order_in_stream', 'created_at', 'updated_at', 'deleted_at'],
    'lesson': ['title', 'description', 'teacher_id', 'start_at', 'end_at', 'homework_url', 'online_lesson_join_url',
               'online_lesson_recording_url', 'deleted_at'],
} %}
{% for entity, attributes in entities.items() %}
{% set hk = 'hk_' ~ entity %}
{% set compared = ['load_ts', 'hashdiff'] + attributes %}
SELECT 'vault.cur_{{ entity }}' AS tbl, coalesce(latest.{{ hk }}, cur.{{ hk }})::text AS offending_key
FROM (
    SELECT DISTINCT ON ({{ hk }}) {{ hk }}, is_deleted, {{ compared | join(', ') }}
    FROM vault.s_{{ entity }}
{% if scoped %}
    WHERE {{ hk }} IN (SELECT {{ hk }} FROM staging.stg_{{ entity }})
{% endif %}
    ORDER BY {{ hk }} DESC, load_ts DESC
) AS latest
FULL JOIN (
    SELECT * FROM vault.cur_{{ entity }}
{% if scoped %}
    WHERE {{ hk }} IN (SELECT {{ hk }} FROM staging.stg_{{ entity }})
{% endif %}
) AS cur USING ({{ hk }})
WHERE CASE WHEN latest.{{ hk }} IS NULL OR latest.is_deleted THEN cur.{{ hk }} IS NOT NULL
           ELSE cur.{{ hk }} IS NULL
                OR cur.{{ hk }} <> md5(cur.{{ entity }}_id::text)::uuid
                OR (cur.{{ compared | join(', cur.') }})
                   IS DISTINCT FROM (latest.{{ compared | join(', latest.') }}) END
UNION ALL
{% endfor %}
{% for parent, child in [('course', 'stream'), ('stream', 'module'), ('module', 'lesson')] %}
{% set link = parent ~ '_' ~ child %}
{% set hk = 'hk_' ~ link %}
SELECT 'vault.cur_{{ link }}' AS tbl, coalesce(latest.{{ hk }}, cur.{{ hk }})::text AS offending_key
FROM (
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
) AS latest
FULL JOIN (
    SELECT * FROM vault.cur_{{ link }}
{% if scoped %}
    WHERE hk_{{ child }} IN (SELECT hk_{{ child }} FROM staging.stg_{{ child }})
{% endif %}
) AS cur USING ({{ hk }})
WHERE CASE WHEN latest.{{ hk }} IS NULL OR latest.is_deleted THEN cur.{{ hk }} IS NOT NULL
           ELSE cur.{{ hk }} IS NULL
                OR (cur.hk_{{ parent }}, cur.hk_{{ child }}) IS DISTINCT FROM (latest.hk_{{ parent }}, latest.hk_{{ child }})
                OR cur.hk_{{ parent }} <> md5(cur.{{ parent }}_id::text)::uuid
                OR cur.hk_{{ child }} <> md5(cur.{{ child }}_id::text)::uuid END
{{ "UNION ALL" if not loop.last }}
{% endfor %}
