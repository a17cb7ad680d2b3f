# Error groups (issue #4): signatures, the ErrorService (grouping, storage, events) and its routes.
target_sources(dbg_coordinator_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/function_name.cpp
  ${CMAKE_CURRENT_LIST_DIR}/signature.cpp
  ${CMAKE_CURRENT_LIST_DIR}/prepared_stack.cpp
  ${CMAKE_CURRENT_LIST_DIR}/error_metrics.cpp
  ${CMAKE_CURRENT_LIST_DIR}/error_rows.cpp
  ${CMAKE_CURRENT_LIST_DIR}/event_preparation.cpp
  ${CMAKE_CURRENT_LIST_DIR}/group_cache.cpp
  ${CMAKE_CURRENT_LIST_DIR}/batch_ingest.cpp
  ${CMAKE_CURRENT_LIST_DIR}/group_publisher.cpp
  ${CMAKE_CURRENT_LIST_DIR}/group_reads.cpp
  ${CMAKE_CURRENT_LIST_DIR}/event_history.cpp
  ${CMAKE_CURRENT_LIST_DIR}/error_service.cpp
  ${CMAKE_CURRENT_LIST_DIR}/error_event_json.cpp
  ${CMAKE_CURRENT_LIST_DIR}/json_writer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/error_routes.cpp)
