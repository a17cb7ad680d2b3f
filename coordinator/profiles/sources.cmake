# Sampling profiles (issue #5): storage, exports (folded, speedscope, pprof) and the route.
find_package(ZLIB REQUIRED)
target_link_libraries(dbg_coordinator_core PUBLIC ZLIB::ZLIB)
