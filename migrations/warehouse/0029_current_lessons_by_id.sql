-- After a change in the source, the lesson delta (transforms/staging/stg_lesson.sql) merges the source's
-- lessons, which come sorted by id, with the vault's current state, keyed by hash key: PostgreSQL sorted
-- a million current lessons and a million placements by id, and then their full join again, before the
-- merge could start. These two indexes give both in id order, with the one column the comparison needs
-- from each, read from the index alone once autovacuum has marked the pages all-visible. stg_lesson after
-- a 1% change at 1M lessons, a stock PostgreSQL 15: 3.11-3.26 s against 3.90-4.23 s (the statement alone),
-- 4.06-4.74 s against 4.85-5.58 s in four runs each of `once` with no vacuum between them. A first load
-- builds them after its rows, with the tables' other indexes (drop_indexes_when_empty in
-- transforms/macros.sql): 0.3-0.4 s each. The benchmark, four pairs of builds in both orders (README,
-- eleventh round): `once` after a 1% change 0.6-1.1 s faster on the stock server, first loads alike
-- within the machine's noise.
-- depends: 0028_hub_hash_checks_as_bytes

CREATE INDEX cur_lesson_by_id ON vault.cur_lesson (lesson_id) INCLUDE (hashdiff);
CREATE INDEX cur_module_lesson_by_id ON vault.cur_module_lesson (lesson_id) INCLUDE (module_id);
