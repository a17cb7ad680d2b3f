# Error analysis (issue #6): features, the classifier model (embedded at build time), the
# pattern cache, similar groups, the service that ties them to the error groups, its routes.
include(${CMAKE_CURRENT_LIST_DIR}/embed_model.cmake)
set(DBG_EMBEDDED_MODEL ${CMAKE_CURRENT_BINARY_DIR}/embedded_model.cpp)
dbg_embed_model(${PROJECT_SOURCE_DIR}/models/crash_classifier.v1.json ${DBG_EMBEDDED_MODEL})
target_sources(dbg_coordinator_core PRIVATE
  ${DBG_EMBEDDED_MODEL})
