# Profiles end to end (issue #5): dbgcoord, workers, profile targets, node validators (tests/js).
dbg_add_test(coordinator_profiles_test
  SOURCES integration/coordinator_profiles_test.cpp
  LIBS SQLite::SQLite3)
add_dependencies(coordinator_profiles_test dbgcoord dbg-worker profile_hotcold)
# Exports checked in-process: the protobuf writer, gzip, folded escaping.
dbg_add_test(coordinator_profile_exports_test
  SOURCES unit/coordinator_profile_exports_test.cpp
  LIBS dbg_coordinator_core)
