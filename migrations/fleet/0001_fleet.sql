-- Fleet 0001: the hosts of a fleet and their merged error groups, in PostgreSQL. Applied by
-- coordinator/fleet/fleet_schema.cpp inside one transaction holding an advisory lock, so
-- hosts starting together apply it once; no transaction statements here.
--
-- Times are unix milliseconds (bigint), as in the local SQLite: the hosts' clocks, not the
-- server's, say when an error happened. Heartbeats use the server's clock (now()), so "down" does
-- not depend on a host's clock being right.

-- One row per host name. instance changes at every start of dbgcoord, boot_id at every boot of
-- the host; labels are --host-labels; takes_tasks is --fleet-tasks (fleet sessions leave out a
-- host that does not).
CREATE TABLE fleet_hosts (
  host            text PRIMARY KEY,
  boot_id         text NOT NULL,
  instance        text NOT NULL,
  version         text NOT NULL,
  labels          jsonb NOT NULL DEFAULT '{}',
  heartbeat_s     integer NOT NULL,
  takes_tasks     boolean NOT NULL DEFAULT true,
  started_at      timestamptz NOT NULL DEFAULT now(),
  last_heartbeat  timestamptz NOT NULL DEFAULT now()
);

-- Idempotent shipping: the local outbox's ids grow and are never reused within one local
-- database (AUTOINCREMENT); a database is named by its random id (local meta
-- "fleet_database_id"), so a host whose data directory was wiped starts a new watermark.
-- A batch is applied and shipped_through moved in one transaction, so a batch re-sent after a
-- lost COMMIT reply or a kill is skipped up to the watermark, never counted twice.
CREATE TABLE fleet_publishers (
  host             text NOT NULL,
  database_id      text NOT NULL,
  shipped_through  bigint NOT NULL DEFAULT 0,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (host, database_id)
);

-- A group on one host: the sum of the events that host shipped for that signature.
CREATE TABLE fleet_host_groups (
  signature    text NOT NULL,
  host         text NOT NULL,
  count        bigint NOT NULL CHECK (count >= 0),
  first_seen   bigint NOT NULL,
  last_seen    bigint NOT NULL,
  PRIMARY KEY (signature, host)
);
CREATE INDEX fleet_host_groups_by_host ON fleet_host_groups (host, last_seen);

-- A group across the fleet: the sum of its fleet_host_groups rows (kept in the same
-- transaction), so listing 100,000 groups needs no aggregation at read time.
CREATE TABLE fleet_groups (
  signature       text PRIMARY KEY,
  error_class     text NOT NULL,
  type            text NOT NULL,
  message         text NOT NULL,
  count           bigint NOT NULL CHECK (count >= 0),
  hosts_affected  integer NOT NULL CHECK (hosts_affected >= 0),
  first_seen      bigint NOT NULL,
  last_seen       bigint NOT NULL
);
CREATE INDEX fleet_groups_by_last_seen ON fleet_groups (last_seen);

-- Sample events (with their minimal context: frames, registers, variables), at most a few of
-- the latest per group and host (the publisher prunes the rest in the same transaction).
CREATE TABLE fleet_samples (
  id          bigserial PRIMARY KEY,
  signature   text NOT NULL,
  host        text NOT NULL,
  seen_at     bigint NOT NULL,
  event       jsonb NOT NULL
);
CREATE INDEX fleet_samples_by_group ON fleet_samples (signature, host, id);
