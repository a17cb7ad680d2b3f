# Crash watches: the manager of the `dbg-worker watch` process, its rows and routes.
target_sources(dbg_coordinator_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/crash_event.cpp
  ${CMAKE_CURRENT_LIST_DIR}/watch_manager.cpp
  ${CMAKE_CURRENT_LIST_DIR}/watch_request.cpp
  ${CMAKE_CURRENT_LIST_DIR}/watch_routes.cpp
  ${CMAKE_CURRENT_LIST_DIR}/watch_rows.cpp)
