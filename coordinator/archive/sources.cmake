# Archives of old error events (issue #7): summaries, rows, the archiver and its routes.
target_sources(dbg_coordinator_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/archive_summary.cpp
  ${CMAKE_CURRENT_LIST_DIR}/archive_rows.cpp
  ${CMAKE_CURRENT_LIST_DIR}/archiver.cpp
  ${CMAKE_CURRENT_LIST_DIR}/archive_routes.cpp)
