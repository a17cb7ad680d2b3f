# Crash watches: the manager of the `dbg-worker watch` process, its rows and routes.
target_sources(dbg_coordinator_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/crash_event.cpp
  ${CMAKE_CURRENT_LIST_DIR}/crash_ingest.cpp
  ${CMAKE_CURRENT_LIST_DIR}/match_scan.cpp
  ${CMAKE_CURRENT_LIST_DIR}/watch.cpp
  ${CMAKE_CURRENT_LIST_DIR}/watch_attach.cpp
  ${CMAKE_CURRENT_LIST_DIR}/watch_create.cpp
  ${CMAKE_CURRENT_LIST_DIR}/watch_manager.cpp
  ${CMAKE_CURRENT_LIST_DIR}/watch_request.cpp
  ${CMAKE_CURRENT_LIST_DIR}/watch_resume.cpp
  ${CMAKE_CURRENT_LIST_DIR}/watch_routes.cpp
  ${CMAKE_CURRENT_LIST_DIR}/watch_rows.cpp
  ${CMAKE_CURRENT_LIST_DIR}/watcher_link.cpp)
