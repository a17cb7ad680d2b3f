target_sources(dbg_coordinator_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/child_reaper.cpp
  ${CMAKE_CURRENT_LIST_DIR}/worker_process.cpp
  ${CMAKE_CURRENT_LIST_DIR}/worker_channel.cpp
  ${CMAKE_CURRENT_LIST_DIR}/worker_pool.cpp)
