-- 0009: ingest keys (coordinator/errors/batch_ingest.cpp). Applied inside BEGIN IMMEDIATE ...
-- COMMIT with PRAGMA user_version = 9; no transaction statements here.
--
-- A producer that may hand the same occurrence over twice names it with a key: a core-mode
-- crash report's "id" (docs/crash-capture.md), re-read after a restart until its spool file is
-- unlinked. The key is inserted in the same transaction as its event; a key already here means
-- the event is stored, and it is skipped. received_at: unix milliseconds.
CREATE TABLE error_ingest_keys (
  key         TEXT PRIMARY KEY NOT NULL,
  received_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
