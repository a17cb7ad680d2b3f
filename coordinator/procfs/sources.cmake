# /proc reader: process samples for ranking, target policy and session target resolution.
target_sources(dbg_coordinator_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/proc_reader.cpp
  ${CMAKE_CURRENT_LIST_DIR}/process_match.cpp
  ${CMAKE_CURRENT_LIST_DIR}/utf8.cpp)
