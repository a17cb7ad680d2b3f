target_sources(dbg_coordinator_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/status.cpp
  ${CMAKE_CURRENT_LIST_DIR}/session.cpp
  ${CMAKE_CURRENT_LIST_DIR}/session_request.cpp
  ${CMAKE_CURRENT_LIST_DIR}/session_admission.cpp
  ${CMAKE_CURRENT_LIST_DIR}/target_resolver.cpp
  ${CMAKE_CURRENT_LIST_DIR}/snapshot_runner.cpp
  ${CMAKE_CURRENT_LIST_DIR}/watched_capture_runner.cpp
  ${CMAKE_CURRENT_LIST_DIR}/profile_runner.cpp
  ${CMAKE_CURRENT_LIST_DIR}/detect_runner.cpp
  ${CMAKE_CURRENT_LIST_DIR}/scheduler_state.cpp
  ${CMAKE_CURRENT_LIST_DIR}/target_outcomes.cpp
  ${CMAKE_CURRENT_LIST_DIR}/scheduler_stop.cpp
  ${CMAKE_CURRENT_LIST_DIR}/scheduler.cpp)
