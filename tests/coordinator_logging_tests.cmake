# Selective logging: sampling rates and first occurrences over 10,000 messages, the PUT
# validation, the compressed rotation (unit); the routes on a real dbgcoord (in the ops test).
find_package(ZLIB REQUIRED)
dbg_add_test(coordinator_logging_test
  SOURCES unit/coordinator_logging_test.cpp
  LIBS dbg_coordinator_core ZLIB::ZLIB)

# The logging cost benchmark (bench/run_logging_bench.sh runs it); built, not a test.
add_executable(logging_bench ${PROJECT_SOURCE_DIR}/bench/logging_bench.cpp)
target_link_libraries(logging_bench PRIVATE dbg_coordinator_core dbg_warnings)
