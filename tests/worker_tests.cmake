# Worker tests: unit tests of the shared model and protocol, integration tests against real
# targets (tests/targets) with the real dbg-worker executable.
dbg_add_test(shared_protocol_test SOURCES unit/protocol_test.cpp)
dbg_add_test(shared_snapshot_wire_test SOURCES unit/snapshot_wire_test.cpp)
dbg_add_test(shared_json_sax_test SOURCES unit/json_sax_test.cpp)
dbg_add_test(shared_text_test SOURCES unit/shared_text_test.cpp)
dbg_add_test(shared_unique_fd_test SOURCES unit/shared_unique_fd_test.cpp)

set(worker_integration_tests worker_snapshot_test worker_differential_test worker_safety_test worker_serve_test)
foreach(t ${worker_integration_tests})
  string(REPLACE "_test" "" stem ${t})
  dbg_add_test(${t} SOURCES integration/${t}.cpp)
  add_dependencies(${t} dbg-worker chain cpp_target churn cpp_target_stripped)
endforeach()

# Worker features register their own tests.
foreach(part profile watch detect ptrace core core_chain)
  include(${CMAKE_CURRENT_SOURCE_DIR}/worker_${part}_tests.cmake OPTIONAL)
endforeach()
