-- current_state_matches_history: cur_<entity> holds exactly the keys whose latest satellite row is
-- not deleted, with that row's hashdiff; cur_<relationship> exactly the links whose latest
-- effectivity row is current. At most one current row per key follows from the primary keys.
{% for entity in ['course', 'stream', 'module', 'lesson'] %}
SELECT 'vault.cur_{{ entity }}' AS tbl, hk_{{ entity }}::text AS offending_key
FROM (
    (SELECT hk_{{ entity }}, hashdiff FROM (
        SELECT DISTINCT ON (hk_{{ entity }}) hk_{{ entity }}, hashdiff, is_deleted
        FROM vault.s_{{ entity }} ORDER BY hk_{{ entity }}, load_ts DESC
    ) AS latest WHERE NOT is_deleted
    EXCEPT ALL
    SELECT hk_{{ entity }}, hashdiff FROM vault.cur_{{ entity }})
    UNION ALL
    (SELECT hk_{{ entity }}, hashdiff FROM vault.cur_{{ entity }}
    EXCEPT ALL
    SELECT hk_{{ entity }}, hashdiff FROM (
        SELECT DISTINCT ON (hk_{{ entity }}) hk_{{ entity }}, hashdiff, is_deleted
        FROM vault.s_{{ entity }} ORDER BY hk_{{ entity }}, load_ts DESC
    ) AS latest WHERE NOT is_deleted)
) AS differences
UNION ALL
{% endfor %}
{% for link in ['course_stream', 'stream_module', 'module_lesson'] %}
SELECT 'vault.cur_{{ link }}' AS tbl, hk_{{ link }}::text AS offending_key
FROM (
    (SELECT hk_{{ link }} FROM (
        SELECT DISTINCT ON (hk_{{ link }}) hk_{{ link }}, is_deleted
        FROM vault.s_{{ link }}_eff ORDER BY hk_{{ link }}, load_ts DESC
    ) AS latest WHERE NOT is_deleted
    EXCEPT ALL
    SELECT hk_{{ link }} FROM vault.cur_{{ link }})
    UNION ALL
    (SELECT hk_{{ link }} FROM vault.cur_{{ link }}
    EXCEPT ALL
    SELECT hk_{{ link }} FROM (
        SELECT DISTINCT ON (hk_{{ link }}) hk_{{ link }}, is_deleted
        FROM vault.s_{{ link }}_eff ORDER BY hk_{{ link }}, load_ts DESC
    ) AS latest WHERE NOT is_deleted)
) AS differences
{{ "UNION ALL" if not loop.last }}
{% endfor %}
