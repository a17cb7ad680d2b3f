# Error groups (issue #4). Names start with "coordinator_errors" so `ctest -R coordinator_errors`
# selects them.
dbg_add_test(coordinator_errors_signature_test
  SOURCES unit/coordinator_errors_signature_test.cpp
  LIBS dbg_coordinator_core)
