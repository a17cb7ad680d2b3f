-- 0001: facts about the database itself. Applied by coordinator/store/migrations.cpp inside
-- BEGIN IMMEDIATE ... COMMIT together with PRAGMA user_version = 1; no transaction statements
-- here.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
) STRICT;

INSERT INTO meta (key, value) VALUES ('created_at', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
