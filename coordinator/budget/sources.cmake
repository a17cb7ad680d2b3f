# The coordinator's own budget (issue #7): RSS and CPU share measured, load shed in order.
target_sources(dbg_coordinator_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/budget_policy.cpp
  ${CMAKE_CURRENT_LIST_DIR}/budget_monitor.cpp)
