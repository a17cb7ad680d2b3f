# Faults survived (issue #9): the real dbgcoord, workers and watcher, killed, starved of disk,
# stopped, and given targets that will not hold still. One executable per fault family, so
# ctest -j runs them side by side. tests/integration/fault_support.hpp is their shared kit.
find_package(SQLite3 REQUIRED)
foreach(t coordinator_faults_test coordinator_kill9_test coordinator_disk_full_test coordinator_hostile_targets_test)
  dbg_add_test(${t} SOURCES integration/${t}.cpp LIBS SQLite::SQLite3)
  add_dependencies(${t} dbgcoord dbg-worker chain crasher_O0 restless)
endforeach()
