# Core-handler victims (tests/integration/worker_core_test.cpp); the crashers of
# watch_targets.cmake serve too.
add_executable(core_hog ${CMAKE_CURRENT_LIST_DIR}/core_hog.c)
target_compile_options(core_hog PRIVATE -O1 -g -fno-sanitize=all)
target_link_options(core_hog PRIVATE -fno-sanitize=all)
set_target_properties(core_hog PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
