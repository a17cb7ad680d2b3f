# API token: loading or generating it, and finding it in a request.
target_sources(dbg_coordinator_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/token.cpp
)
