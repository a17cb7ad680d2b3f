-- 0003: sampling profiles (coordinator/profiles/). Applied inside BEGIN IMMEDIATE ... COMMIT with
-- PRAGMA user_version = 3; no transaction statements here.
--
-- The whole profile (dbg/profile.hpp's JSON: tables of frames, locations, stacks, threads and
-- counts) is one zlib-compressed blob: exports always read all of it, and it compresses well
-- (names repeat). What lists and filters need is copied out into columns.
CREATE TABLE profiles (
  id            INTEGER PRIMARY KEY,
  session_id    TEXT NOT NULL,
  pid           INTEGER NOT NULL,
  comm          TEXT NOT NULL,
  created_at    INTEGER NOT NULL,      -- unix ms, when the store received it
  samples       INTEGER NOT NULL,
  hz_requested  REAL NOT NULL,
  hz_effective  REAL NOT NULL,
  overhead_pct  REAL NOT NULL,
  stop_reason   TEXT NOT NULL,
  summary       TEXT NOT NULL CHECK (json_valid(summary)),  -- the profile's scalar fields
  body_bytes    INTEGER NOT NULL,      -- size of the JSON before compression
  body          BLOB NOT NULL          -- zlib(JSON)
) STRICT;
CREATE INDEX profiles_by_session ON profiles (session_id);
CREATE INDEX profiles_by_pid ON profiles (pid, created_at);
