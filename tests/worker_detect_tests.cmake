# The worker's futex-wait fields (worker/capture/futex_wait.*) on the deadlock target.
dbg_add_test(worker_wait_test SOURCES integration/worker_wait_test.cpp)
add_dependencies(worker_wait_test dbg-worker deadlock)
