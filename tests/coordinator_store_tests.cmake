# Store tests (coordinator/store/ and the snapshot views it serves). Names start with
# "coordinator_store" so `ctest -R coordinator_store` selects them.

# Pure functions of dbg_shared: linked without the coordinator library on purpose.
dbg_add_test(coordinator_store_views_test
  SOURCES unit/snapshot_views_test.cpp)

dbg_add_test(coordinator_store_test
  SOURCES unit/coordinator_store_test.cpp
  LIBS dbg_coordinator_core)
