-- s_lesson: a new row when a lesson's attributes change, when it vanishes from the source
-- (flagged is_deleted, with its last attributes) and when it comes back.
{% set attributes = ['title', 'description', 'teacher_id', 'start_at', 'end_at', 'homework_url', 'online_lesson_join_url', 'online_lesson_recording_url', 'deleted_at'] %}
WITH latest AS (
    SELECT DISTINCT ON (hk_lesson) *
    FROM vault.s_lesson
    ORDER BY hk_lesson, load_ts DESC
)
INSERT INTO vault.s_lesson (hk_lesson, load_ts, hashdiff, is_deleted, {{ attributes | join(', ') }}, record_source)
-- new keys, changed attributes, and keys back after a deletion
SELECT stg.hk_lesson, {{ load_ts }}, stg.hashdiff, false, stg.{{ attributes | join(', stg.') }}, 'source.stream_module_lesson'
FROM {{ ref('stg_lesson') }} AS stg
LEFT JOIN latest USING (hk_lesson)
WHERE latest.hk_lesson IS NULL OR latest.is_deleted OR latest.hashdiff <> stg.hashdiff
UNION ALL
-- keys gone from the source: the last attributes again, flagged deleted
SELECT latest.hk_lesson, {{ load_ts }}, latest.hashdiff, true, latest.{{ attributes | join(', latest.') }}, 'source.stream_module_lesson'
FROM latest
WHERE NOT latest.is_deleted
  AND NOT EXISTS (SELECT FROM {{ ref('stg_lesson') }} AS stg WHERE stg.hk_lesson = latest.hk_lesson);
