# Profiles in the worker (issue #5): real targets, the real dbg-worker.
dbg_add_test(worker_profile_test SOURCES integration/worker_profile_test.cpp)
add_dependencies(worker_profile_test dbg-worker profile_hotcold profile_many_threads)
# The governor's arithmetic and the sample buffer, without targets.
dbg_add_test(worker_profile_governor_test SOURCES unit/worker_profile_governor_test.cpp LIBS dbg_worker_core)
# The perf sampler (issue #19): against real targets, beside the ptrace sampler.
dbg_add_test(worker_perf_profile_test SOURCES integration/worker_perf_profile_test.cpp)
add_dependencies(worker_perf_profile_test dbg-worker profile_hotcold profile_late_threads)
# The perf sample decoder on crafted records.
dbg_add_test(worker_perf_decode_test SOURCES unit/worker_perf_decode_test.cpp LIBS dbg_worker_core)
