# Profile targets (issue #5): a known hot and cold function, many lightly busy threads, and
# (issue #19) threads that start after the profile did.
foreach(t profile_hotcold profile_many_threads profile_late_threads)
  add_executable(${t} ${t}.c)
  target_compile_options(${t} PRIVATE -O2 -g -fno-sanitize=all)
  target_link_options(${t} PRIVATE -fno-sanitize=all)
  target_link_libraries(${t} PRIVATE Threads::Threads)
  set_target_properties(${t} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
endforeach()
