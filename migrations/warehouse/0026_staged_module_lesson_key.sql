-- Each staged lesson carries the hash key of its module-lesson link, computed once in staging (whose first
-- load runs in slices at once, on both cores) instead of twice after it, by l_module_lesson and again by
-- s_module_lesson_eff: at 1M lessons each md5 of a million keys took 1.2-1.4 s of one core, on a stock
-- PostgreSQL 15, in a phase that kept both cores busy. Staging is rebuilt every run: nothing to fill in.
-- depends: 0025_lesson_statistics_for_keys

ALTER TABLE staging.stg_lesson ADD COLUMN hk_module_lesson uuid;
