# Ranking: unit tests with synthetic samples, integration against real processes.
dbg_add_test(coordinator_ranking_test
  SOURCES unit/coordinator_ranking_test.cpp
  LIBS dbg_coordinator_core)
dbg_add_test(coordinator_ranking_live_test
  SOURCES integration/coordinator_ranking_live_test.cpp
  LIBS dbg_coordinator_core)
add_dependencies(coordinator_ranking_live_test chain)
