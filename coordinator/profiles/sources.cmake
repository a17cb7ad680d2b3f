# Sampling profiles (issue #5): storage, exports (folded, speedscope, pprof) and the route.
find_package(ZLIB REQUIRED)
target_sources(dbg_coordinator_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/zlib_codec.cpp
  ${CMAKE_CURRENT_LIST_DIR}/profile_store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/speedscope_export.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pprof_export.cpp
  ${CMAKE_CURRENT_LIST_DIR}/profile_filter.cpp
  ${CMAKE_CURRENT_LIST_DIR}/profile_routes.cpp)
target_link_libraries(dbg_coordinator_core PUBLIC ZLIB::ZLIB)
