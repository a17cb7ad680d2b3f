# Metrics: the registry and its exposition (unit); /metrics, /api/v1/stats, /api/v1/logging and
# session debug records on a real dbgcoord with real workers and targets (integration).
dbg_add_test(coordinator_metrics_test
  SOURCES unit/coordinator_metrics_test.cpp
  LIBS dbg_coordinator_core)
dbg_add_test(coordinator_ops_test SOURCES integration/coordinator_ops_test.cpp)
add_dependencies(coordinator_ops_test dbgcoord dbg-worker chain)
