# /proc reader: unit tests over a fake proc root, integration against real processes.
dbg_add_test(coordinator_procfs_reader_test
  SOURCES unit/coordinator_procfs_reader_test.cpp
  LIBS dbg_coordinator_core)
dbg_add_test(coordinator_procfs_live_test
  SOURCES integration/coordinator_procfs_live_test.cpp
  LIBS dbg_coordinator_core)
add_dependencies(coordinator_procfs_live_test chain)

# The process table through a real dbgcoord: events, scans, paging, pid reuse.
dbg_add_test(coordinator_process_table_test SOURCES integration/coordinator_process_table_test.cpp)
add_dependencies(coordinator_process_table_test dbgcoord dbg-worker chain)
dbg_add_test(coordinator_process_cursor_test SOURCES unit/coordinator_process_cursor_test.cpp LIBS dbg_coordinator_core)
