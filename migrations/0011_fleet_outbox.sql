-- 0011: the fleet outbox (coordinator/fleet/outbox.hpp). Applied inside BEGIN IMMEDIATE ... COMMIT
-- with PRAGMA user_version = 11; no transaction statements here.
--
-- What the fleet's PostgreSQL must see, written in the same transaction as the local change
-- (a batch of error events), so a kill between the two cannot lose or invent a change. The
-- publisher ships rows in id order and deletes them once PostgreSQL has committed them; the
-- ids are the idempotent keys there (fleet_publishers.shipped_through), so AUTOINCREMENT: an
-- id is never handed out twice, even after the rows below it were deleted.
--
-- kind "errors": one group's part of one batch: `count` events of `signature` seen from
-- first_seen to last_seen (unix ms), and `sample`, the batch's latest event of the group as
-- JSON; NULL when the outbox was over its bound (--fleet-outbox-mb): the counts stay exact, the
-- sample is dropped.
-- kind "session": a local session that ended (written with its last row); `signature` holds
-- its id, `message` its status. Its summary (folded stacks) is read from the stored session
-- when shipped: the snapshots and profiles are durable already.
-- `bytes` is what the row costs, summed to keep the bound without scanning the table.
CREATE TABLE fleet_outbox (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  created_at   INTEGER NOT NULL,
  kind         TEXT NOT NULL DEFAULT 'errors' CHECK (kind IN ('errors', 'session')),
  signature    TEXT NOT NULL,
  error_class  TEXT NOT NULL,
  type         TEXT NOT NULL,
  message      TEXT NOT NULL,
  count        INTEGER NOT NULL CHECK (count > 0),
  first_seen   INTEGER NOT NULL,
  last_seen    INTEGER NOT NULL,
  sample       TEXT,
  bytes        INTEGER NOT NULL
) STRICT;
