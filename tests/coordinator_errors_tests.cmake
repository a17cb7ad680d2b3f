# Error groups (issue #4). Names start with "coordinator_errors" so `ctest -R coordinator_errors`
# selects them.
dbg_add_test(coordinator_errors_signature_test
  SOURCES unit/coordinator_errors_signature_test.cpp
  LIBS dbg_coordinator_core)
dbg_add_test(coordinator_errors_service_test
  SOURCES unit/coordinator_errors_service_test.cpp
  LIBS dbg_coordinator_core SQLite::SQLite3)

# End to end against the real dbgcoord and its SQLite file.
dbg_add_test(coordinator_errors_test
  SOURCES integration/coordinator_errors_test.cpp
  LIBS SQLite::SQLite3)
add_dependencies(coordinator_errors_test dbgcoord dbg-worker)

dbg_add_test(coordinator_errors_json_test
  SOURCES unit/coordinator_errors_json_test.cpp
  LIBS dbg_coordinator_core)

dbg_add_test(coordinator_errors_mutation_test
  SOURCES unit/coordinator_errors_mutation_test.cpp
  LIBS dbg_coordinator_core)

dbg_add_test(coordinator_errors_body_parser_test
  SOURCES unit/coordinator_errors_body_parser_test.cpp
  LIBS dbg_coordinator_core)

# The service's parts alone (event preparation, the group cache on a real SQLite file).
dbg_add_test(coordinator_errors_parts_test
  SOURCES unit/coordinator_errors_parts_test.cpp
  LIBS dbg_coordinator_core SQLite::SQLite3)
