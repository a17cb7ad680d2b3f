# The deadlock / busy-hang detector's target (tests/integration/coordinator_detect_test.cpp,
# worker_wait_test.cpp). Optimised with debug info, like the other targets.
add_executable(deadlock ${CMAKE_CURRENT_LIST_DIR}/deadlock.c)
target_compile_options(deadlock PRIVATE -O2 -g -fno-sanitize=all)
target_link_options(deadlock PRIVATE -fno-sanitize=all)
target_link_libraries(deadlock PRIVATE Threads::Threads)
set_target_properties(deadlock PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
