# The worker's subsystems as libraries of their own, without targets or the executable:
# the wait-with-deadline loop (worker/ptrace/) and the ELF cache (worker/unwind/).
dbg_add_test(worker_thread_wait_test SOURCES unit/worker_thread_wait_test.cpp LIBS dbg_worker_ptrace)
dbg_add_test(worker_elf_cache_test SOURCES unit/worker_elf_cache_test.cpp LIBS dbg_worker_unwind)
# The capture window's scheduling class (worker/capture/capture_priority.hpp).
dbg_add_test(worker_capture_priority_test SOURCES unit/worker_capture_priority_test.cpp LIBS dbg_worker_capture)
