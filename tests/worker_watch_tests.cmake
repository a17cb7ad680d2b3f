# `dbg-worker watch` against real crashers (tests/targets/watch_targets.cmake).
dbg_add_test(worker_watch_test SOURCES integration/worker_watch_test.cpp)
add_dependencies(worker_watch_test dbg-worker crasher_O0 crasher_O2 cxx_crasher chain)
# Captures of watched processes by the watcher (worker/capture/seized_capture.*), on the deadlock target
# and the crasher.
dbg_add_test(worker_watch_capture_test SOURCES integration/worker_watch_capture_test.cpp)
add_dependencies(worker_watch_capture_test dbg-worker deadlock crasher_O0)
