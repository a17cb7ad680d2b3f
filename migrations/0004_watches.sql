-- 0004: crash watches (coordinator/watch/). Applied inside BEGIN IMMEDIATE ... COMMIT with
-- PRAGMA user_version = 4; no transaction statements here.
--
-- A watch's whole JSON (the API shape) is rewritten on each change; kind ("pid" or "match") and
-- status are copied out so that the coordinator's start-up can pick the live ones without
-- parsing. Times are unix milliseconds.
CREATE TABLE watches (
  id         TEXT PRIMARY KEY NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('pid', 'match')),
  status     TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  body       TEXT NOT NULL CHECK (json_valid(body))
) STRICT;
CREATE INDEX watches_by_status ON watches (status);
