# Targets of the fault tests (tests/integration/coordinator_*faults*): processes that fork,
# exec or exit while they are being captured.
add_executable(restless ${CMAKE_CURRENT_LIST_DIR}/restless.c)
target_compile_options(restless PRIVATE -O2 -g -fno-sanitize=all)
target_link_options(restless PRIVATE -fno-sanitize=all)
target_link_libraries(restless PRIVATE Threads::Threads)
set_target_properties(restless PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
