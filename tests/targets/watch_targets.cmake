# Crash-watch victims (tests/integration/worker_watch_test.cpp). Plain builds, like the other
# targets; crasher in two variants because optimisation changes frames and variable locations.
foreach(variant O0 O2)
  add_executable(crasher_${variant} ${CMAKE_CURRENT_LIST_DIR}/crasher.c)
  target_compile_options(crasher_${variant} PRIVATE -${variant} -g -fno-sanitize=all)
  target_link_options(crasher_${variant} PRIVATE -fno-sanitize=all)
  target_link_libraries(crasher_${variant} PRIVATE Threads::Threads)
endforeach()
add_executable(cxx_crasher ${CMAKE_CURRENT_LIST_DIR}/cxx_crasher.cpp)
target_compile_options(cxx_crasher PRIVATE -O1 -g -fno-sanitize=all)
target_link_options(cxx_crasher PRIVATE -fno-sanitize=all)
set_target_properties(crasher_O0 crasher_O2 cxx_crasher PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
