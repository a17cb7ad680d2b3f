-- 0007: what a thread was blocked in when it was captured (dbg::ThreadWait, the snapshot JSON's
-- "wait"), kept with the thread. Applied inside BEGIN IMMEDIATE ... COMMIT with
-- PRAGMA user_version = 7; no transaction statements here.
--
-- Columns, not a JSON blob: "which threads waited on mutex X, owned by whom" is a plain query.
-- wait_syscall is NULL when the thread waited on nothing (most threads), and then so are the
-- others. wait_addr: the futex word's address (the mutex itself for a pthread mutex), as the
-- 64-bit value's bits (user-space addresses fit below 2^63 anyway). wait_op: the futex op as
-- passed. wait_mutex_owner: the mutex's owner tid, read while every thread was stopped
-- (process consistency), NULL when unknown. Rows stored before 0007 have no wait: NULL.
ALTER TABLE snapshot_threads ADD COLUMN wait_syscall TEXT;
ALTER TABLE snapshot_threads ADD COLUMN wait_addr INTEGER;
ALTER TABLE snapshot_threads ADD COLUMN wait_op INTEGER;
ALTER TABLE snapshot_threads ADD COLUMN wait_mutex_owner INTEGER;
