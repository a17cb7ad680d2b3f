# Deadlock / busy-hang detection (coordinator/detect/): the pure analysis, and end to end through
# a real dbgcoord with the deadlock target.
dbg_add_test(coordinator_detect_test SOURCES unit/coordinator_detect_test.cpp LIBS dbg_coordinator_core)
dbg_add_test(coordinator_detect_live_test SOURCES integration/coordinator_detect_test.cpp)
add_dependencies(coordinator_detect_live_test dbgcoord dbg-worker deadlock)
# The scheduled check on crash-watched processes (captures by the watcher) and stored waits.
dbg_add_test(coordinator_watch_detect_test SOURCES integration/coordinator_watch_detect_test.cpp)
add_dependencies(coordinator_watch_detect_test dbgcoord dbg-worker deadlock crasher_O0 profile_hotcold)
