# Target policy: unit tests over synthetic samples, integration against real processes.
dbg_add_test(coordinator_policy_test
  SOURCES unit/coordinator_policy_test.cpp
  LIBS dbg_coordinator_core)
dbg_add_test(coordinator_policy_live_test
  SOURCES integration/coordinator_policy_live_test.cpp
  LIBS dbg_coordinator_core)
add_dependencies(coordinator_policy_live_test chain)
