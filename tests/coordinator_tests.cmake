# Coordinator tests (owned by the coordinator work). Names start with "coordinator" so that
# `ctest -R coordinator` selects them. unit/: tests of dbg_coordinator_core's parts;
# integration/: tests that start the real bin/dbgcoord.
find_package(SQLite3 REQUIRED)

dbg_add_test(coordinator_config_test
  SOURCES unit/coordinator_config_test.cpp
  LIBS dbg_coordinator_core)
dbg_add_test(coordinator_router_test
  SOURCES unit/coordinator_router_test.cpp
  LIBS dbg_coordinator_core)
dbg_add_test(coordinator_migrations_test
  SOURCES unit/coordinator_migrations_test.cpp
  LIBS dbg_coordinator_core)

# Integration: the executable must be built before these run.
dbg_add_test(coordinator_http_test
  SOURCES integration/coordinator_http_test.cpp)
dbg_add_test(coordinator_cli_test
  SOURCES integration/coordinator_cli_test.cpp)
dbg_add_test(coordinator_database_test
  SOURCES integration/coordinator_database_test.cpp
  LIBS SQLite::SQLite3)
foreach(t coordinator_http_test coordinator_cli_test coordinator_database_test)
  add_dependencies(${t} dbgcoord)
endforeach()

# Each coordinator area registers its own tests (one file per area, so parallel work does not
# collide here).
foreach(area procfs ranking policy auth events pool sessions api store errors analysis watch profiles logging metrics web faults security detect archive budget crash deploy fleet)
  include(${CMAKE_CURRENT_SOURCE_DIR}/coordinator_${area}_tests.cmake OPTIONAL)
endforeach()
