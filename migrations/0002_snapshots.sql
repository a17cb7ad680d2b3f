-- 0002: sessions and process snapshots (coordinator/store/). Applied inside BEGIN IMMEDIATE ...
-- COMMIT with PRAGMA user_version = 2; no transaction statements here.
--
-- Times are unix milliseconds (INTEGER), durations microseconds (REAL, as the worker measures
-- them). JSON columns are TEXT checked with json_valid.

-- A session's whole JSON (the API shape) is rewritten on each change; kind, status and the times
-- are copied out so lists and filters need no JSON parsing.
CREATE TABLE sessions (
  id         TEXT PRIMARY KEY NOT NULL,
  kind       TEXT NOT NULL,
  status     TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  body       TEXT NOT NULL CHECK (json_valid(body))
) STRICT;
CREATE INDEX sessions_by_created_at ON sessions (created_at);
CREATE INDEX sessions_by_status ON sessions (status);

-- Identical stacks stored once: most threads of most processes sit in the same few stacks
-- (epoll_wait, futex wait, a worker loop), and repeated snapshots repeat them. `hash` is
-- dbg::stack_hash of the frames; on the (64-bit, so theoretical) collision with different frames
-- the store probes hash+1, hash+2, ... so the column stays UNIQUE and lookups stay exact.
-- `frames` is the frames' JSON without "pc": pc differs between processes (ASLR) while function,
-- module and offset do not; each thread keeps its own pcs (snapshot_threads.pcs).
CREATE TABLE stacks (
  id          INTEGER PRIMARY KEY,
  hash        INTEGER NOT NULL UNIQUE,
  frame_count INTEGER NOT NULL,
  frames      TEXT NOT NULL CHECK (json_valid(frames))
) STRICT;

-- One row per process snapshot. session_id is not a foreign key: a snapshot may be stored
-- before (or without) the session row that asked for it, and neither write should fail for it.
CREATE TABLE snapshots (
  id           INTEGER PRIMARY KEY,
  session_id   TEXT NOT NULL,
  pid          INTEGER NOT NULL,
  comm         TEXT NOT NULL,
  consistency  TEXT NOT NULL,
  taken_at     INTEGER NOT NULL,
  capture_us   REAL NOT NULL,
  unwind_us    REAL NOT NULL,
  thread_count INTEGER NOT NULL,
  cache        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(cache))  -- the worker's cache counters
) STRICT;
CREATE INDEX snapshots_by_session ON snapshots (session_id);
CREATE INDEX snapshots_by_taken_at ON snapshots (taken_at);
CREATE INDEX snapshots_by_pid ON snapshots (pid, taken_at);

-- One row per thread, in the worker's order (idx). stack_id is NULL when the thread has no
-- frames (it failed: error_code says why). pcs: the frames' pcs, 8 bytes little-endian each, in
-- frame order (NULL with no frames).
CREATE TABLE snapshot_threads (
  snapshot_id   INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
  idx           INTEGER NOT NULL,
  tid           INTEGER NOT NULL,
  name          TEXT NOT NULL,
  state         TEXT NOT NULL,
  pause_us      REAL NOT NULL,
  error_code    TEXT,
  error_message TEXT,
  truncated     TEXT,
  stack_id      INTEGER REFERENCES stacks (id),
  pcs           BLOB,
  PRIMARY KEY (snapshot_id, idx)
) STRICT, WITHOUT ROWID;
-- Which snapshots contain a stack (and what deleting a stack would orphan).
CREATE INDEX snapshot_threads_by_stack ON snapshot_threads (stack_id) WHERE stack_id IS NOT NULL;
CREATE INDEX snapshot_threads_by_error ON snapshot_threads (error_code) WHERE error_code IS NOT NULL;
