-- 0006: archives of old error events (coordinator/archive/). Applied inside BEGIN IMMEDIATE ...
-- COMMIT with PRAGMA user_version = 6; no transaction statements here.
--
-- Raw error_events older than --archive-after are folded into one row per (error group, time
-- window of --archive-window) and deleted in the same transaction, so an event is always either
-- raw or archived, never both nor neither. error_groups.count keeps counting every event.
--
-- summary: the zlib stream (level 9) of a JSON document (docs/api.md, "Archives"): event count,
-- first and last time, distinct messages / types / pids / comms / stacks with counts, at most 3
-- sample events with their context. Decompressed only when GET /api/v1/archives/{id} asks.
-- raw_bytes: the bytes of the folded event rows (their text columns plus 8 per integer column,
-- i.e. what the rows held, without SQLite's page overhead); summary_bytes: the JSON before
-- compression; compressed_bytes: the blob; ratio = raw_bytes / compressed_bytes, what archiving
-- saved. A later run that finds more old events of the same group and window merges them into
-- the same row (UNIQUE below), so the row's numbers always describe all its events.
-- window_start/window_end, first_seen/last_seen: unix ms of the events' own `timestamp`.
CREATE TABLE error_archives (
  id               INTEGER PRIMARY KEY,
  group_id         INTEGER NOT NULL REFERENCES error_groups (id),
  window_start     INTEGER NOT NULL,
  window_end       INTEGER NOT NULL,
  event_count      INTEGER NOT NULL CHECK (event_count > 0),
  first_seen       INTEGER NOT NULL,
  last_seen        INTEGER NOT NULL,
  raw_bytes        INTEGER NOT NULL,
  summary_bytes    INTEGER NOT NULL,
  compressed_bytes INTEGER NOT NULL,
  ratio            REAL NOT NULL,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  summary          BLOB NOT NULL,
  UNIQUE (group_id, window_start)
) STRICT;
-- Listing newest first and pruning oldest first (the size cap) both walk windows in order.
CREATE INDEX error_archives_by_window ON error_archives (window_start);

-- Archiving takes the oldest events first, 10,000 per transaction; without this index each of
-- those transactions would scan the whole table. Unlike an index on (group_id, id) (see 0005),
-- producers' timestamps arrive nearly in order, so ingest appends to the index's right edge
-- instead of touching a page per group.
CREATE INDEX error_events_by_timestamp ON error_events (timestamp);

-- error_events.prev_id after archiving: 0005 says it becomes NULL once the previous event is
-- archived. It is not rewritten: finding the successor of an archived event would need an index
-- on prev_id, which ingest would pay for on every event (the same interleaving cost 0005
-- describes). Instead a prev_id may name an event that no longer exists, and readers end a
-- group's chain there (errors::select_events). Such an id is never reused for another event:
-- SQLite reuses only ids above the largest remaining one, and every chain link points down.
-- error_groups.last_event_id, whose target can be the largest id, is set to NULL when its event
-- is archived.
