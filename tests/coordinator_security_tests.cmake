# Security (issue #9): token on every route, target policy end to end, read-only targets,
# hostile clients. A real dbgcoord, plus an in-process Listener for the slowloris case.
dbg_add_test(coordinator_security_test
  SOURCES integration/coordinator_security_test.cpp
  LIBS dbg_coordinator_core)
add_dependencies(coordinator_security_test dbgcoord dbg-worker chain)

# The worker read-only check (worker/check_read_only.cmake) must not pass vacuously: it passes
# on worker/, and fails on a directory with a forbidden request and on one without ptrace code.
set(check_dir ${CMAKE_CURRENT_BINARY_DIR}/read_only_check)
file(WRITE ${check_dir}/poke/poke.cpp "long f() { return ptrace(PTRACE_SEIZE, 1, 0, 0) + ptrace(PTRACE_POKEDATA, 1, 0, 0); }\n")
file(WRITE ${check_dir}/setregs/regs.cpp "long f() { return ptrace(PTRACE_SEIZE, 1, 0, 0) + ptrace(PTRACE_SETREGSET, 1, 0, 0); }\n")
file(WRITE ${check_dir}/empty/nothing.cpp "int f() { return 0; }\n")
add_test(NAME coordinator_security_worker_read_only_check
  COMMAND ${CMAKE_COMMAND} -DDIR=${PROJECT_SOURCE_DIR}/worker -P ${PROJECT_SOURCE_DIR}/worker/check_read_only.cmake)
foreach(bad poke setregs empty)
  add_test(NAME coordinator_security_worker_read_only_check_fails_on_${bad}
    COMMAND ${CMAKE_COMMAND} -DDIR=${check_dir}/${bad} -P ${PROJECT_SOURCE_DIR}/worker/check_read_only.cmake)
  set_tests_properties(coordinator_security_worker_read_only_check_fails_on_${bad} PROPERTIES WILL_FAIL TRUE)
endforeach()
