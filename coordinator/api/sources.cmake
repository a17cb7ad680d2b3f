target_sources(dbg_coordinator_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/query.cpp
  ${CMAKE_CURRENT_LIST_DIR}/errors.cpp
  ${CMAKE_CURRENT_LIST_DIR}/routes.cpp
  ${CMAKE_CURRENT_LIST_DIR}/process_routes.cpp
  ${CMAKE_CURRENT_LIST_DIR}/session_routes.cpp
  ${CMAKE_CURRENT_LIST_DIR}/snapshot_routes.cpp)
