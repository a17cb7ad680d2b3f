# Sessions end to end: the real dbgcoord with real workers and targets.
dbg_add_test(coordinator_sessions_test SOURCES integration/coordinator_sessions_test.cpp)
add_dependencies(coordinator_sessions_test dbgcoord dbg-worker chain)

dbg_add_test(coordinator_session_request_test SOURCES unit/coordinator_session_request_test.cpp LIBS dbg_coordinator_core)

# The scheduler alone: a fake job queue and target list, a real store and hub, no workers.
dbg_add_test(coordinator_scheduler_test SOURCES unit/coordinator_scheduler_test.cpp LIBS dbg_coordinator_core)
