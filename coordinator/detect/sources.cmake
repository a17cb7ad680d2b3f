# Deadlock and busy-hang detection (coordinator/detect/): pure analysis of snapshots, the runner
# that takes them through the worker pool, and the scheduled check over watched processes.
target_sources(dbg_coordinator_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/detect_options.cpp
  ${CMAKE_CURRENT_LIST_DIR}/finding.cpp
  ${CMAKE_CURRENT_LIST_DIR}/wait_graph.cpp
  ${CMAKE_CURRENT_LIST_DIR}/thread_cpu.cpp
  ${CMAKE_CURRENT_LIST_DIR}/busy_hang.cpp
  ${CMAKE_CURRENT_LIST_DIR}/detector.cpp
  ${CMAKE_CURRENT_LIST_DIR}/watched_scan.cpp)
