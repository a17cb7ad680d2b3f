target_sources(dbg_coordinator_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/session.cpp
  ${CMAKE_CURRENT_LIST_DIR}/session_request.cpp
  ${CMAKE_CURRENT_LIST_DIR}/target_resolver.cpp
  ${CMAKE_CURRENT_LIST_DIR}/scheduler.cpp)
