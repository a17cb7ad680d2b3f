-- 0010: core-mode crash watches (coordinator/crash/). Applied inside BEGIN IMMEDIATE ... COMMIT
-- with PRAGMA user_version = 10; no transaction statements here.
--
-- mode: "ptrace" (the watcher seizes the process: every watch before this) or "core" (the
-- kernel's core_pattern runs our handler at the crash). A core watch has kind "match": its
-- body holds "match" (a regex) or "all": true.
ALTER TABLE watches ADD COLUMN mode TEXT NOT NULL DEFAULT 'ptrace' CHECK (mode IN ('ptrace', 'core'));
