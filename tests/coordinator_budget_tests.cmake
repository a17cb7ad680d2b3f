# The coordinator's own budget (issue #7). Names start with "coordinator_budget".
dbg_add_test(coordinator_budget_policy_test
  SOURCES unit/coordinator_budget_policy_test.cpp
  LIBS dbg_coordinator_core)

# A real dbgcoord given a 1 MiB budget: over at once, sheds in order, refuses sessions with 503.
dbg_add_test(coordinator_budget_test
  SOURCES integration/coordinator_budget_test.cpp)
add_dependencies(coordinator_budget_test dbgcoord dbg-worker)
