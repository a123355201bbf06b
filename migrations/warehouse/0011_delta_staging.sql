-- Staging holds only the delta: the source rows that differ from the vault's current state, found by
-- joining the source with vault.cur_* on the integer business keys, and the keys gone from the source.
--   * staging.stg_<entity> gets `vanished`: the key is current in the vault but gone from the source
--     (its hashdiff and attributes are then NULL).
--   * vault.cur_<parent>_<child> gets both business keys, so the delta needs no hash of the source's keys.
--   * hashdiffs become the XOR of each column's hash by its type (transforms/macros.sql), which the source
--     computes itself through postgres_fdw, instead of a hash of the row's text form; stored ones are
--     recomputed here with the same expression.
-- depends: 0010_roles

ALTER TABLE staging.stg_course ADD COLUMN vanished boolean NOT NULL DEFAULT false,
                               ALTER COLUMN hashdiff DROP NOT NULL;
ALTER TABLE staging.stg_stream ADD COLUMN vanished boolean NOT NULL DEFAULT false,
                               ALTER COLUMN hashdiff DROP NOT NULL;
ALTER TABLE staging.stg_module ADD COLUMN vanished boolean NOT NULL DEFAULT false,
                               ALTER COLUMN hashdiff DROP NOT NULL;
ALTER TABLE staging.stg_lesson ADD COLUMN vanished boolean NOT NULL DEFAULT false,
                               ALTER COLUMN hashdiff DROP NOT NULL;

ALTER TABLE vault.cur_course_stream ADD COLUMN stream_id integer, ADD COLUMN course_id integer;
UPDATE vault.cur_course_stream AS cur SET stream_id = h.stream_id FROM vault.h_stream AS h WHERE h.hk_stream = cur.hk_stream;
UPDATE vault.cur_course_stream AS cur SET course_id = h.course_id FROM vault.h_course AS h WHERE h.hk_course = cur.hk_course;
ALTER TABLE vault.cur_course_stream ALTER COLUMN stream_id SET NOT NULL, ALTER COLUMN course_id SET NOT NULL;

ALTER TABLE vault.cur_stream_module ADD COLUMN module_id integer, ADD COLUMN stream_id integer;
UPDATE vault.cur_stream_module AS cur SET module_id = h.module_id FROM vault.h_module AS h WHERE h.hk_module = cur.hk_module;
UPDATE vault.cur_stream_module AS cur SET stream_id = h.stream_id FROM vault.h_stream AS h WHERE h.hk_stream = cur.hk_stream;
ALTER TABLE vault.cur_stream_module ALTER COLUMN module_id SET NOT NULL, ALTER COLUMN stream_id SET NOT NULL;

ALTER TABLE vault.cur_module_lesson ADD COLUMN lesson_id integer, ADD COLUMN module_id integer;
UPDATE vault.cur_module_lesson AS cur SET lesson_id = h.lesson_id FROM vault.h_lesson AS h WHERE h.hk_lesson = cur.hk_lesson;
UPDATE vault.cur_module_lesson AS cur SET module_id = h.module_id FROM vault.h_module AS h WHERE h.hk_module = cur.hk_module;
ALTER TABLE vault.cur_module_lesson ALTER COLUMN lesson_id SET NOT NULL, ALTER COLUMN module_id SET NOT NULL;

UPDATE vault.s_course SET hashdiff =
    CASE WHEN title IS NULL THEN 1 ELSE hashtextextended(title, 1) END
    # CASE WHEN icon_url IS NULL THEN 2 ELSE hashtextextended(icon_url, 2) END
    # CASE WHEN is_auto_course_enroll IS NULL THEN 3 ELSE hashint4extended(is_auto_course_enroll::integer, 3) END
    # CASE WHEN is_demo_enroll IS NULL THEN 4 ELSE hashint4extended(is_demo_enroll::integer, 4) END
    # CASE WHEN created_at IS NULL THEN 5 ELSE timestamp_hash_extended(created_at, 5) END
    # CASE WHEN updated_at IS NULL THEN 6 ELSE timestamp_hash_extended(updated_at, 6) END
    # CASE WHEN deleted_at IS NULL THEN 7 ELSE timestamp_hash_extended(deleted_at, 7) END;

UPDATE vault.cur_course SET hashdiff =
    CASE WHEN title IS NULL THEN 1 ELSE hashtextextended(title, 1) END
    # CASE WHEN icon_url IS NULL THEN 2 ELSE hashtextextended(icon_url, 2) END
    # CASE WHEN is_auto_course_enroll IS NULL THEN 3 ELSE hashint4extended(is_auto_course_enroll::integer, 3) END
    # CASE WHEN is_demo_enroll IS NULL THEN 4 ELSE hashint4extended(is_demo_enroll::integer, 4) END
    # CASE WHEN created_at IS NULL THEN 5 ELSE timestamp_hash_extended(created_at, 5) END
    # CASE WHEN updated_at IS NULL THEN 6 ELSE timestamp_hash_extended(updated_at, 6) END
    # CASE WHEN deleted_at IS NULL THEN 7 ELSE timestamp_hash_extended(deleted_at, 7) END;

UPDATE vault.s_stream SET hashdiff =
    CASE WHEN name IS NULL THEN 1 ELSE hashtextextended(name, 1) END
    # CASE WHEN is_open IS NULL THEN 2 ELSE hashint4extended(is_open::integer, 2) END
    # CASE WHEN homework_deadline_days IS NULL THEN 3 ELSE hashint4extended(homework_deadline_days, 3) END
    # CASE WHEN start_at IS NULL THEN 4 ELSE timestamp_hash_extended(start_at, 4) END
    # CASE WHEN end_at IS NULL THEN 5 ELSE timestamp_hash_extended(end_at, 5) END
    # CASE WHEN created_at IS NULL THEN 6 ELSE timestamp_hash_extended(created_at, 6) END
    # CASE WHEN updated_at IS NULL THEN 7 ELSE timestamp_hash_extended(updated_at, 7) END
    # CASE WHEN deleted_at IS NULL THEN 8 ELSE timestamp_hash_extended(deleted_at, 8) END;

UPDATE vault.cur_stream SET hashdiff =
    CASE WHEN name IS NULL THEN 1 ELSE hashtextextended(name, 1) END
    # CASE WHEN is_open IS NULL THEN 2 ELSE hashint4extended(is_open::integer, 2) END
    # CASE WHEN homework_deadline_days IS NULL THEN 3 ELSE hashint4extended(homework_deadline_days, 3) END
    # CASE WHEN start_at IS NULL THEN 4 ELSE timestamp_hash_extended(start_at, 4) END
    # CASE WHEN end_at IS NULL THEN 5 ELSE timestamp_hash_extended(end_at, 5) END
    # CASE WHEN created_at IS NULL THEN 6 ELSE timestamp_hash_extended(created_at, 6) END
    # CASE WHEN updated_at IS NULL THEN 7 ELSE timestamp_hash_extended(updated_at, 7) END
    # CASE WHEN deleted_at IS NULL THEN 8 ELSE timestamp_hash_extended(deleted_at, 8) END;

UPDATE vault.s_module SET hashdiff =
    CASE WHEN title IS NULL THEN 1 ELSE hashtextextended(title, 1) END
    # CASE WHEN order_in_stream IS NULL THEN 2 ELSE hashint4extended(order_in_stream, 2) END
    # CASE WHEN created_at IS NULL THEN 3 ELSE timestamp_hash_extended(created_at, 3) END
    # CASE WHEN updated_at IS NULL THEN 4 ELSE timestamp_hash_extended(updated_at, 4) END
    # CASE WHEN deleted_at IS NULL THEN 5 ELSE timestamp_hash_extended(deleted_at, 5) END;

UPDATE vault.cur_module SET hashdiff =
    CASE WHEN title IS NULL THEN 1 ELSE hashtextextended(title, 1) END
    # CASE WHEN order_in_stream IS NULL THEN 2 ELSE hashint4extended(order_in_stream, 2) END
    # CASE WHEN created_at IS NULL THEN 3 ELSE timestamp_hash_extended(created_at, 3) END
    # CASE WHEN updated_at IS NULL THEN 4 ELSE timestamp_hash_extended(updated_at, 4) END
    # CASE WHEN deleted_at IS NULL THEN 5 ELSE timestamp_hash_extended(deleted_at, 5) END;

UPDATE vault.s_lesson SET hashdiff =
    CASE WHEN title IS NULL THEN 1 ELSE hashtextextended(title, 1) END
    # CASE WHEN description IS NULL THEN 2 ELSE hashtextextended(description, 2) END
    # CASE WHEN teacher_id IS NULL THEN 3 ELSE hashint4extended(teacher_id, 3) END
    # CASE WHEN start_at IS NULL THEN 4 ELSE timestamp_hash_extended(start_at, 4) END
    # CASE WHEN end_at IS NULL THEN 5 ELSE timestamp_hash_extended(end_at, 5) END
    # CASE WHEN homework_url IS NULL THEN 6 ELSE hashtextextended(homework_url, 6) END
    # CASE WHEN online_lesson_join_url IS NULL THEN 7 ELSE hashtextextended(online_lesson_join_url, 7) END
    # CASE WHEN online_lesson_recording_url IS NULL THEN 8 ELSE hashtextextended(online_lesson_recording_url, 8) END
    # CASE WHEN deleted_at IS NULL THEN 9 ELSE timestamp_hash_extended(deleted_at, 9) END;

UPDATE vault.cur_lesson SET hashdiff =
    CASE WHEN title IS NULL THEN 1 ELSE hashtextextended(title, 1) END
    # CASE WHEN description IS NULL THEN 2 ELSE hashtextextended(description, 2) END
    # CASE WHEN teacher_id IS NULL THEN 3 ELSE hashint4extended(teacher_id, 3) END
    # CASE WHEN start_at IS NULL THEN 4 ELSE timestamp_hash_extended(start_at, 4) END
    # CASE WHEN end_at IS NULL THEN 5 ELSE timestamp_hash_extended(end_at, 5) END
    # CASE WHEN homework_url IS NULL THEN 6 ELSE hashtextextended(homework_url, 6) END
    # CASE WHEN online_lesson_join_url IS NULL THEN 7 ELSE hashtextextended(online_lesson_join_url, 7) END
    # CASE WHEN online_lesson_recording_url IS NULL THEN 8 ELSE hashtextextended(online_lesson_recording_url, 8) END
    # CASE WHEN deleted_at IS NULL THEN 9 ELSE timestamp_hash_extended(deleted_at, 9) END;
