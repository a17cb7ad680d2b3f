# Sampling profiles (issue #5): the sampler and its parts.
target_sources(dbg_worker_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/profile_thread_activity.cpp
  ${CMAKE_CURRENT_LIST_DIR}/profile_governor.cpp
  ${CMAKE_CURRENT_LIST_DIR}/profile_samples.cpp
  ${CMAKE_CURRENT_LIST_DIR}/profile_locations.cpp
  ${CMAKE_CURRENT_LIST_DIR}/profile_sampler.cpp
  ${CMAKE_CURRENT_LIST_DIR}/profile_command.cpp)
