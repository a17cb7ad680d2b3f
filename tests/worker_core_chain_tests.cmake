# Handing a crash's core on to the previous core_pattern (worker/core/core_chain.hpp): the
# kernel's expansion rules alone, then the file and pipe chains against real processes and a
# real core, without changing core_pattern.
dbg_add_test(worker_core_pattern_expand_test SOURCES unit/worker_core_pattern_expand_test.cpp
             LIBS dbg_worker_core_handler)
dbg_add_test(worker_core_chain_test SOURCES integration/worker_core_chain_test.cpp LIBS dbg_worker_core_handler)
add_dependencies(worker_core_chain_test crasher_O2)
