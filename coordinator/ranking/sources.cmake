# Importance ranking of processes: scoring table, user rules, rate history.
target_sources(dbg_coordinator_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/rank_rule.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ranked_process.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ranker.cpp
  ${CMAKE_CURRENT_LIST_DIR}/score.cpp)
