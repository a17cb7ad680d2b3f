# Fails the build when worker sources mention a ptrace request or syscall that writes to a
# target. The worker must stay a read-only observer (DESIGN.md, Security).
# usage: cmake -DDIR=<worker source dir> -P check_read_only.cmake
# It must not pass by scanning the wrong place: DIR has to hold the worker's ptrace code
# (PTRACE_SEIZE appears somewhere), else the check fails too. CTest runs it against planted
# violations (tests/coordinator_security_tests.cmake) to show it catches them.
if(NOT DIR OR NOT IS_DIRECTORY "${DIR}")
  message(FATAL_ERROR "read-only check: DIR '${DIR}' is not a directory")
endif()
file(GLOB_RECURSE sources "${DIR}/*.cpp" "${DIR}/*.hpp" "${DIR}/*.h" "${DIR}/*.cc")
set(seize_found FALSE)
foreach(f ${sources})
  file(STRINGS "${f}" hits REGEX "PTRACE_POKE|PTRACE_SET(REGS|FPREGS|REGSET|SIGINFO|OPTIONS)|process_vm_writev")
  foreach(line ${hits})
    # The check itself names the forbidden requests only in this .cmake file, never in code.
    message(FATAL_ERROR "read-only violation in ${f}: ${line}")
  endforeach()
  file(STRINGS "${f}" seize REGEX "PTRACE_SEIZE")
  if(seize)
    set(seize_found TRUE)
  endif()
endforeach()
list(LENGTH sources count)
if(NOT seize_found)
  message(FATAL_ERROR "read-only check scanned ${count} files in ${DIR} and found no PTRACE_SEIZE: "
                      "not the worker's sources, so nothing was checked")
endif()
message(STATUS "read-only check: ${count} files in ${DIR}, no request that writes a target")
