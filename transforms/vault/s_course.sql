-- s_course: a new row when a course's attributes change, when it vanishes from the source
-- (flagged is_deleted, with its last attributes) and when it comes back.
{% set attributes = ['title', 'icon_url', 'is_auto_course_enroll', 'is_demo_enroll', 'created_at', 'updated_at', 'deleted_at'] %}
WITH latest AS (
    SELECT DISTINCT ON (hk_course) *
    FROM vault.s_course
    ORDER BY hk_course, load_ts DESC
)
INSERT INTO vault.s_course (hk_course, load_ts, hashdiff, is_deleted, {{ attributes | join(', ') }}, record_source)
-- new keys, changed attributes, and keys back after a deletion
SELECT stg.hk_course, {{ load_ts }}, stg.hashdiff, false, stg.{{ attributes | join(', stg.') }}, 'source.course'
FROM {{ ref('stg_course') }} AS stg
LEFT JOIN latest USING (hk_course)
WHERE latest.hk_course IS NULL OR latest.is_deleted OR latest.hashdiff <> stg.hashdiff
UNION ALL
-- keys gone from the source: the last attributes again, flagged deleted
SELECT latest.hk_course, {{ load_ts }}, latest.hashdiff, true, latest.{{ attributes | join(', latest.') }}, 'source.course'
FROM latest
WHERE NOT latest.is_deleted
  AND NOT EXISTS (SELECT FROM {{ ref('stg_course') }} AS stg WHERE stg.hk_course = latest.hk_course);
