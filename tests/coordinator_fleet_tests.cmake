# The fleet (issue #21): a real PostgreSQL per test (initdb in a temporary directory,
# integration/postgres_fixture.hpp) and real coordinators publishing into it.
dbg_add_test(coordinator_fleet_writes_test
  SOURCES integration/coordinator_fleet_writes_test.cpp
  LIBS dbg_coordinator_core)
dbg_add_test(coordinator_fleet_test
  SOURCES integration/coordinator_fleet_test.cpp)
add_dependencies(coordinator_fleet_test dbgcoord dbg-worker chain crasher_O2)
# The settings' pure checks (no PostgreSQL).
dbg_add_test(coordinator_fleet_settings_test
  SOURCES unit/coordinator_fleet_settings_test.cpp
  LIBS dbg_coordinator_core)
