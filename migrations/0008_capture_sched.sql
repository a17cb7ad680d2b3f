-- 0008: the scheduling class a snapshot's capture window ran in (the snapshot JSON's
-- "capture_sched" and "capture_sched_reason", worker/capture/capture_priority.hpp). Applied
-- inside BEGIN IMMEDIATE ... COMMIT with PRAGMA user_version = 8; no transaction statements here.
-- Rows stored before 0008 were all captured in the normal class, with no reason.
ALTER TABLE snapshots ADD COLUMN capture_sched TEXT NOT NULL DEFAULT 'normal';
ALTER TABLE snapshots ADD COLUMN capture_sched_reason TEXT NOT NULL DEFAULT '';
