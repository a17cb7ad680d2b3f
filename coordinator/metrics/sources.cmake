# Metrics: the registry, the coordinator's own cost, snapshot-derived instruments, session debug
# records, GET /metrics and GET /api/v1/stats.
target_sources(dbg_coordinator_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/registry.cpp
  ${CMAKE_CURRENT_LIST_DIR}/process_stats.cpp
  ${CMAKE_CURRENT_LIST_DIR}/snapshot_metrics.cpp
  ${CMAKE_CURRENT_LIST_DIR}/session_debug.cpp
  ${CMAKE_CURRENT_LIST_DIR}/stats.cpp
  ${CMAKE_CURRENT_LIST_DIR}/routes.cpp)
