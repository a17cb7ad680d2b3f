# `dbg-worker watch`: the crash watch (watch_server.hpp).
target_sources(dbg_worker_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/watch_crash_context.cpp
  ${CMAKE_CURRENT_LIST_DIR}/watch_memory.cpp
  ${CMAKE_CURRENT_LIST_DIR}/watch_messages.cpp
  ${CMAKE_CURRENT_LIST_DIR}/watch_protocol.cpp
  ${CMAKE_CURRENT_LIST_DIR}/watch_server.cpp
  ${CMAKE_CURRENT_LIST_DIR}/watch_signals.cpp
  ${CMAKE_CURRENT_LIST_DIR}/watch_tracer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/watch_variables.cpp
  ${CMAKE_CURRENT_LIST_DIR}/watch_wait.cpp
  ${CMAKE_CURRENT_LIST_DIR}/seized_capture.cpp)
