# The JSON-lines channel to a worker and the worker pool, each against real child processes
# (/bin/sh scripts playing the worker) over real pipes.
dbg_add_test(coordinator_worker_channel_test SOURCES unit/coordinator_worker_channel_test.cpp LIBS dbg_coordinator_core)
dbg_add_test(coordinator_pool_test SOURCES unit/coordinator_pool_test.cpp LIBS dbg_coordinator_core)
