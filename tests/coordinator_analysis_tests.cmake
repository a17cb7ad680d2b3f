# Error analysis (issue #6). Names start with "coordinator_analysis" so
# `ctest -R coordinator_analysis` selects them.
dbg_add_test(coordinator_analysis_cache_test
  SOURCES unit/coordinator_analysis_cache_test.cpp
  LIBS dbg_coordinator_core)
# The C++ inference on the committed model and corpus (paths from DBG_SOURCE_DIR).
dbg_add_test(coordinator_analysis_model_test
  SOURCES unit/coordinator_analysis_model_test.cpp
  LIBS dbg_coordinator_core)

# End to end: the real dbgcoord, its watcher, real crashers, the SQLite file.
dbg_add_test(coordinator_analysis_test
  SOURCES integration/coordinator_analysis_test.cpp)
add_dependencies(coordinator_analysis_test dbgcoord dbg-worker crasher_O2 cxx_crasher)
