# Profiles in the worker (issue #5): real targets, the real dbg-worker.
dbg_add_test(worker_profile_test SOURCES integration/worker_profile_test.cpp)
add_dependencies(worker_profile_test dbg-worker profile_hotcold profile_many_threads)
# The governor's arithmetic and the sample buffer, without targets.
dbg_add_test(worker_profile_governor_test SOURCES unit/worker_profile_governor_test.cpp LIBS dbg_worker_core)
