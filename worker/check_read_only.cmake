# Fails the build when worker sources mention a ptrace request or syscall that writes to a
# target. The worker must stay a read-only observer (DESIGN.md, Security).
file(GLOB sources "${DIR}/*.cpp" "${DIR}/*.hpp")
foreach(f ${sources})
  file(STRINGS "${f}" hits REGEX "PTRACE_POKE|PTRACE_SET(REGS|FPREGS|REGSET|SIGINFO|OPTIONS)|process_vm_writev")
  foreach(line ${hits})
    # The check itself names the forbidden requests only in this .cmake file, never in code.
    message(FATAL_ERROR "read-only violation in ${f}: ${line}")
  endforeach()
endforeach()
