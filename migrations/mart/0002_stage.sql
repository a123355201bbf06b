-- Where the mart step lands what it reads from the warehouse for one run, so the warehouse is read
-- once: the keys whose rows changed, and the current rows under them. Emptied at every run; on a
-- cluster they exist on every node, and the run uses those of the node it is connected to.

CREATE TABLE IF NOT EXISTS {{ mart }}.stage_dm_scope {{ on_cluster }}
(
    level LowCardinality(String),
    id    Int32
)
ENGINE = MergeTree
ORDER BY (level, id);

CREATE TABLE IF NOT EXISTS {{ mart }}.stage_dm_feed {{ on_cluster }} AS {{ mart }}.dm_courses_modules_lessons_streams_data
ENGINE = MergeTree
ORDER BY row_key;
