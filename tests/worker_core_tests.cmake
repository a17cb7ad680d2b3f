# `dbg-worker core`, the crash handler core_pattern runs (worker/core/). Unit tests of its pure
# parts; the integration test installs it as core_pattern (CorePatternGuard, the core_pattern
# fixture and lock) and crashes the watch tests' crashers under it.
dbg_add_test(worker_core_notes_test SOURCES unit/worker_core_notes_test.cpp LIBS dbg_worker_core_handler)
dbg_add_test(worker_core_config_test SOURCES unit/worker_core_config_test.cpp LIBS dbg_worker_core_handler)
# It links the coordinator for its signature: the same crash must land in the same error group
# whichever mode caught it.
dbg_add_test(worker_core_test SOURCES integration/worker_core_test.cpp LIBS dbg_coordinator_core)
add_dependencies(worker_core_test dbg-worker crasher_O0 crasher_O2 cxx_crasher core_hog)
set_tests_properties(worker_core_test PROPERTIES FIXTURES_REQUIRED core_pattern RESOURCE_LOCK core_pattern)
