-- current_state_matches_history: cur_<entity> holds exactly the keys whose latest satellite row is
-- not deleted, with that row's hashdiff; cur_<relationship> exactly the links whose latest
-- effectivity row is current. The latest rows are read backwards along the primary key (hash key,
-- load_ts), so finding them needs no sort; at most one current row per key follows from the
-- primary keys.
{% for entity in ['course', 'stream', 'module', 'lesson'] %}
SELECT 'vault.cur_{{ entity }}' AS tbl, hk_{{ entity }}::text AS offending_key
FROM (
    SELECT DISTINCT ON (hk_{{ entity }}) hk_{{ entity }}, hashdiff, is_deleted
    FROM vault.s_{{ entity }}
    ORDER BY hk_{{ entity }} DESC, load_ts DESC
) AS latest
FULL JOIN vault.cur_{{ entity }} AS cur USING (hk_{{ entity }})
WHERE CASE WHEN latest.hk_{{ entity }} IS NULL OR latest.is_deleted THEN cur.hk_{{ entity }} IS NOT NULL
           ELSE cur.hk_{{ entity }} IS NULL OR cur.hashdiff <> latest.hashdiff END
UNION ALL
{% endfor %}
{% for link in ['course_stream', 'stream_module', 'module_lesson'] %}
SELECT 'vault.cur_{{ link }}' AS tbl, hk_{{ link }}::text AS offending_key
FROM (
    SELECT DISTINCT ON (hk_{{ link }}) hk_{{ link }}, is_deleted
    FROM vault.s_{{ link }}_eff
    ORDER BY hk_{{ link }} DESC, load_ts DESC
) AS latest
FULL JOIN vault.cur_{{ link }} AS cur USING (hk_{{ link }})
WHERE CASE WHEN latest.hk_{{ link }} IS NULL OR latest.is_deleted THEN cur.hk_{{ link }} IS NOT NULL
           ELSE cur.hk_{{ link }} IS NULL END
{{ "UNION ALL" if not loop.last }}
{% endfor %}
