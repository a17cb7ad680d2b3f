# Archives of old error events and the database size cap (issue #7). Names start with
# "coordinator_archive" so `ctest -R coordinator_archive` selects them.
dbg_add_test(coordinator_archive_summary_test
  SOURCES unit/coordinator_archive_summary_test.cpp
  LIBS dbg_coordinator_core)

# End to end against the real dbgcoord and its SQLite file.
dbg_add_test(coordinator_archive_test
  SOURCES integration/coordinator_archive_test.cpp
  LIBS SQLite::SQLite3)
add_dependencies(coordinator_archive_test dbgcoord dbg-worker)

# SIGKILL in the middle of archiving 200,000 events, at several points.
dbg_add_test(coordinator_archive_crash_test
  SOURCES integration/coordinator_archive_crash_test.cpp
  LIBS SQLite::SQLite3)
add_dependencies(coordinator_archive_crash_test dbgcoord dbg-worker)
