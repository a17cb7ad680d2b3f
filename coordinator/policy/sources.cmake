# Target policy: which processes may be traced.
target_sources(dbg_coordinator_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/target_policy.cpp)
