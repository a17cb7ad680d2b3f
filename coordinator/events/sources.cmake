# Live events: the hub publishers write to (the WebSocket side lives in coordinator/http/).
target_sources(dbg_coordinator_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/hub.cpp
)
