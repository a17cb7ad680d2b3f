# Selective logging: sampling before formatting, the asynchronous logger, the compressed
# rotating file, and /api/v1/logging.
find_package(ZLIB REQUIRED)
target_sources(dbg_coordinator_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/sampler.cpp
  ${CMAKE_CURRENT_LIST_DIR}/logging_config.cpp
  ${CMAKE_CURRENT_LIST_DIR}/gzip_rotating_sink.cpp
  ${CMAKE_CURRENT_LIST_DIR}/logger.cpp
  ${CMAKE_CURRENT_LIST_DIR}/routes.cpp)
target_link_libraries(dbg_coordinator_core PRIVATE ZLIB::ZLIB)
