-- Fleet 0002: fleet sessions (coordinator/fleet/fleet_sessions.hpp, fleet_tasks.hpp). A session is
-- asked for on any coordinator; it stores one task per host; each host's coordinator claims its
-- own (FOR UPDATE SKIP LOCKED, woken by NOTIFY dbgcoord_fleet_tasks, polling as the fallback),
-- runs it through its own scheduler and pool, and writes the task's summary back.

CREATE TABLE fleet_sessions (
  id          text PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('snapshot', 'profile')),
  hosts       jsonb NOT NULL,   -- what was asked: "all", [names] or {"label":{...}}
  targets     jsonb NOT NULL,   -- as POST /api/v1/sessions takes them, run on every host
  options     jsonb NOT NULL,
  created_by  text NOT NULL,    -- the host whose API took the request
  created_at  timestamptz NOT NULL DEFAULT now(),
  deadline_s  integer NOT NULL CHECK (deadline_s > 0)
);
CREATE INDEX fleet_sessions_by_created ON fleet_sessions (created_at);

-- state is what the host wrote; "host down" and "timed out" are read-time views of a task still
-- queued or running past its deadline or on a host without heartbeats (fleet_reads).
-- result: the host's summary: its local session id, target counts and folded stacks summed
-- over its targets ({"stack": count}).
CREATE TABLE fleet_tasks (
  session_id        text NOT NULL REFERENCES fleet_sessions (id) ON DELETE CASCADE,
  host              text NOT NULL,
  state             text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
  local_session_id  text,
  error             text,
  result            jsonb,
  claimed_at        timestamptz,
  finished_at       timestamptz,
  PRIMARY KEY (session_id, host)
);
CREATE INDEX fleet_tasks_queued ON fleet_tasks (host) WHERE state = 'queued';
