# Core mode, the coordinator's side (coordinator/crash/). The unit test needs no root and no
# core_pattern (a plain file stands in for it); the integration tests run the real dbgcoord with
# the real handler (`dbg-worker core`) in /proc/sys/kernel/core_pattern, serialized with every
# other test that changes it (the core_pattern fixture and lock; CorePatternGuard in each case).
dbg_add_test(coordinator_core_capture_unit_test SOURCES unit/coordinator_core_capture_unit_test.cpp
             LIBS dbg_coordinator_core)
dbg_add_test(coordinator_core_capture_test SOURCES integration/coordinator_core_capture_test.cpp
             LIBS dbg_coordinator_core)
add_dependencies(coordinator_core_capture_test dbgcoord dbg-worker crasher_O0 crasher_O2)
set_tests_properties(coordinator_core_capture_test PROPERTIES FIXTURES_REQUIRED core_pattern RESOURCE_LOCK core_pattern)
