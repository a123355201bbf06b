-- rows_point_at_parents: every link row points at existing hub rows, every satellite row at its hub
-- or link row. After a run (scoped), only the rows it wrote: satellite rows of its load time and the
-- links their effectivity rows name. (Every current-state row is at its hub or link row too: it
-- matches its key's latest satellite or effectivity row, which current_state_matches_history checks,
-- and that row points at the hub or link, which this checks.)
-- After a first load of a table (no row of it from before the run), the keys of all its rows and of
-- all its parent's are compared first by fingerprint, the count and the sum of a hash of each key:
-- equal, every key has its parent row, at the cost of two scans. A hub's satellite and the link of a
-- child with one parent hold one row per parent key then; where the fingerprints differ (a child that
-- shares its parent), the rows are matched one by one.
{% set children = [
    ('l_course_stream', 'hk_course', 'h_course', 'link'), ('l_course_stream', 'hk_stream', 'h_stream', 'link'),
    ('l_stream_module', 'hk_stream', 'h_stream', 'link'), ('l_stream_module', 'hk_module', 'h_module', 'link'),
    ('l_module_lesson', 'hk_module', 'h_module', 'link'), ('l_module_lesson', 'hk_lesson', 'h_lesson', 'link'),
    ('s_course', 'hk_course', 'h_course', 'run'), ('s_stream', 'hk_stream', 'h_stream', 'run'),
    ('s_module', 'hk_module', 'h_module', 'run'), ('s_lesson', 'hk_lesson', 'h_lesson', 'run'),
    ('s_course_stream_eff', 'hk_course_stream', 'l_course_stream', 'run'),
    ('s_stream_module_eff', 'hk_stream_module', 'l_stream_module', 'run'),
    ('s_module_lesson_eff', 'hk_module_lesson', 'l_module_lesson', 'run'),
] %}
{% for child, key, parent, written in children %}
SELECT 'vault.{{ child }}.{{ key }}' AS tbl, child.{{ key }}::text AS offending_key
FROM vault.{{ child }} AS child
WHERE NOT EXISTS (SELECT FROM vault.{{ parent }} AS parent WHERE parent.{{ key }} = child.{{ key }})
{% if scoped and written == 'run' %}
  AND child.load_ts = {{ run_ts }}
{% elif scoped %}
  AND child.hk_{{ child[2:] }} IN (SELECT hk_{{ child[2:] }} FROM vault.s_{{ child[2:] }}_eff WHERE load_ts = {{ run_ts }})
{% endif %}
{% if scoped %}
  AND NOT (NOT EXISTS (SELECT FROM vault.{{ child }} WHERE load_ts < {{ run_ts }})
           AND (SELECT (count(*), sum(uuid_hash_extended({{ key }}, 0))) FROM vault.{{ child }})
               = (SELECT (count(*), sum(uuid_hash_extended({{ key }}, 0))) FROM vault.{{ parent }}))
{% endif %}
{{ "UNION ALL" if not loop.last }}
{% endfor %}
