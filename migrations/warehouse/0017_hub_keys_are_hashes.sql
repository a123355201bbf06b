-- A hub's hash key must be the hash of its business key (the transforms' hash_key macro: md5 of the
-- id as text, as uuid). With that CHECK, the primary key on the hash key already allows one row per
-- business key, and the UNIQUE index on the business key goes: it was written in random order (the
-- rows go in hash key order), 2.3 s of a 3.8 s h_lesson load at 1M lessons, while the CHECK costs
-- about 0.5 s. The CHECK also refuses a row whose hash key a transform computed some other way,
-- which the UNIQUE index caught only when two rows met.
-- depends: 0016_mart_view_joins_modules

ALTER TABLE vault.h_course ADD CONSTRAINT h_course_hk_is_hash CHECK (hk_course = md5(course_id::text)::uuid);
ALTER TABLE vault.h_course DROP CONSTRAINT h_course_course_id_key;

ALTER TABLE vault.h_stream ADD CONSTRAINT h_stream_hk_is_hash CHECK (hk_stream = md5(stream_id::text)::uuid);
ALTER TABLE vault.h_stream DROP CONSTRAINT h_stream_stream_id_key;

ALTER TABLE vault.h_module ADD CONSTRAINT h_module_hk_is_hash CHECK (hk_module = md5(module_id::text)::uuid);
ALTER TABLE vault.h_module DROP CONSTRAINT h_module_module_id_key;

ALTER TABLE vault.h_lesson ADD CONSTRAINT h_lesson_hk_is_hash CHECK (hk_lesson = md5(lesson_id::text)::uuid);
ALTER TABLE vault.h_lesson DROP CONSTRAINT h_lesson_lesson_id_key;
