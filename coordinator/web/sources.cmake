# The dashboard (issue #8): web/ embedded into the binary at configure time and served at "/".
include(${CMAKE_CURRENT_LIST_DIR}/embed_web.cmake)
set(DBG_EMBEDDED_WEB ${CMAKE_CURRENT_BINARY_DIR}/embedded_web.cpp)
dbg_embed_web(${PROJECT_SOURCE_DIR}/web ${DBG_EMBEDDED_WEB})
target_sources(dbg_coordinator_core PRIVATE
  ${DBG_EMBEDDED_WEB})
