-- 0005: error groups and their events (coordinator/errors/). Applied inside BEGIN IMMEDIATE ...
-- COMMIT with PRAGMA user_version = 5; no transaction statements here.
--
-- Times are unix milliseconds. JSON columns are TEXT without json_valid checks: the service
-- writes them from its own serializers, and a check would parse every event's JSON a second
-- time on the ingest path (and every group's on each count update).

-- Frame lists stored once: the events of one group mostly repeat the same frames (the same
-- crash, the same report), and at 1 KB a list, storing them per event would make the frames
-- most of the database and of its write traffic. `hash` is the 64-bit FNV-1a of `frames` (the
-- JSON text the API shows); on a collision with other frames the service probes hash+1, hash+2,
-- ... so the column stays UNIQUE and every lookup exact.
CREATE TABLE error_stacks (
  id     INTEGER PRIMARY KEY,
  hash   INTEGER NOT NULL UNIQUE,
  frames TEXT NOT NULL
) STRICT;

-- One row per signature (coordinator/errors/signature.hpp). count, first_seen and last_seen
-- cover every event of the group, archived or not. class and confidence belong to the error
-- classifier (a later feature) and stay NULL until it exists. type, message and stack_id (its
-- frames) are those of the group's first event; signature_frames are the normalized keys the
-- signature hashes. regressions counts how often a resolved group recurred (and was reopened).
-- last_event_id starts the chain of the group's events (error_events.prev_id).
-- Rows stay narrow on purpose: every batch of events rewrites the rows of the groups it
-- touches, and wide rows (a frames text each) made those page writes most of the ingest cost.
CREATE TABLE error_groups (
  id                INTEGER PRIMARY KEY,
  signature         TEXT NOT NULL UNIQUE,
  error_class       TEXT NOT NULL,
  type              TEXT NOT NULL,
  message           TEXT NOT NULL,
  class             TEXT,
  confidence        REAL,
  count             INTEGER NOT NULL CHECK (count >= 0),
  first_seen        INTEGER NOT NULL,
  last_seen         INTEGER NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('open', 'resolved', 'ignored')),
  status_changed_at INTEGER NOT NULL,
  regressions       INTEGER NOT NULL DEFAULT 0,
  last_event_id     INTEGER,
  stack_id          INTEGER NOT NULL REFERENCES error_stacks (id),
  signature_frames  TEXT NOT NULL
) STRICT;
-- One index only: every batch moves last_seen of the groups it touches, so each index on it is
-- rewritten at ingest rate; lists walk this one newest first and filter status on the way.
CREATE INDEX error_groups_by_last_seen ON error_groups (last_seen);

-- Every event, until an archive folds it away. received_at is when the coordinator took it;
-- timestamp is when the error happened as its producer says (unix ms). stack_id: the failing
-- thread's frames; context: the rest of the minimal context (watch events: fault address,
-- registers, all threads, key variables). prev_id: the group's previous event (NULL for its
-- first, or once that one is archived), so a group's latest events are a walk from
-- error_groups.last_event_id by primary key. Why not an index on (group_id, id): events of
-- many groups arrive interleaved, so each batch would insert into every leaf page of that
-- index, and the page writes per batch would grow with the table (measured: the ingest rate
-- fell with every 100,000 events).
CREATE TABLE error_events (
  id          INTEGER PRIMARY KEY,
  group_id    INTEGER NOT NULL REFERENCES error_groups (id),
  prev_id     INTEGER,
  received_at INTEGER NOT NULL,
  timestamp   INTEGER NOT NULL,
  source      TEXT NOT NULL,
  kind        TEXT NOT NULL,
  type        TEXT NOT NULL,
  message     TEXT NOT NULL,
  pid         INTEGER NOT NULL,
  comm        TEXT NOT NULL,
  stack_id    INTEGER NOT NULL REFERENCES error_stacks (id),
  context     TEXT NOT NULL
) STRICT;
