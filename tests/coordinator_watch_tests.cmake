# Crash watches end to end: the real dbgcoord and its `dbg-worker watch`, real crashers.
find_package(SQLite3 REQUIRED)
dbg_add_test(coordinator_watch_test SOURCES integration/coordinator_watch_test.cpp LIBS SQLite::SQLite3)
add_dependencies(coordinator_watch_test dbgcoord dbg-worker crasher_O0)
dbg_add_test(coordinator_watch_event_test SOURCES unit/coordinator_watch_event_test.cpp LIBS dbg_coordinator_core)
add_dependencies(coordinator_watch_event_test dbg-worker crasher_O0)
# Crashes become error groups (watch + errors together).
dbg_add_test(coordinator_crash_groups_test SOURCES integration/coordinator_crash_groups_test.cpp)
add_dependencies(coordinator_crash_groups_test dbgcoord dbg-worker crasher_O2)
# WatchManager against a /bin/sh script playing `dbg-worker watch`, a real store and hub.
dbg_add_test(coordinator_watch_manager_test SOURCES unit/coordinator_watch_manager_test.cpp LIBS dbg_coordinator_core)
