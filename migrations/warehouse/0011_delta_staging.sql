-- Staging holds only the delta: the source rows that differ from the vault's current state, found by
-- joining the source with vault.cur_* on the integer business keys, and the keys gone from the source.
--   * staging.stg_<entity> gets `vanished`: the key is current in the vault but gone from the source
--     (its hashdiff and attributes are then NULL).
--   * vault.cur_<parent>_<child> gets both business keys, so the delta needs no hash of the source's keys.
--   * hashdiffs become hash_record_extended(ROW(...), 0), which hashes each column's value by its type
--     instead of the row's text form (a third of the cost on 1M lessons); stored ones are recomputed.
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

UPDATE vault.s_course SET hashdiff = hash_record_extended(
    ROW(title, icon_url, is_auto_course_enroll, is_demo_enroll, created_at, updated_at, deleted_at), 0);
UPDATE vault.cur_course SET hashdiff = hash_record_extended(
    ROW(title, icon_url, is_auto_course_enroll, is_demo_enroll, created_at, updated_at, deleted_at), 0);
UPDATE vault.s_stream SET hashdiff = hash_record_extended(
    ROW(name, is_open, homework_deadline_days, start_at, end_at, created_at, updated_at, deleted_at), 0);
UPDATE vault.cur_stream SET hashdiff = hash_record_extended(
    ROW(name, is_open, homework_deadline_days, start_at, end_at, created_at, updated_at, deleted_at), 0);
UPDATE vault.s_module SET hashdiff = hash_record_extended(
    ROW(title, order_in_stream, created_at, updated_at, deleted_at), 0);
UPDATE vault.cur_module SET hashdiff = hash_record_extended(
    ROW(title, order_in_stream, created_at, updated_at, deleted_at), 0);
UPDATE vault.s_lesson SET hashdiff = hash_record_extended(
    ROW(title, description, teacher_id, start_at, end_at, homework_url, online_lesson_join_url,
        online_lesson_recording_url, deleted_at), 0);
UPDATE vault.cur_lesson SET hashdiff = hash_record_extended(
    ROW(title, description, teacher_id, start_at, end_at, homework_url, online_lesson_join_url,
        online_lesson_recording_url, deleted_at), 0);
