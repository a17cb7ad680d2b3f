# Selective logging: sampling before formatting, the asynchronous logger, the compressed
# rotating file, and /api/v1/logging.
find_package(ZLIB REQUIRED)
target_link_libraries(dbg_coordinator_core PRIVATE ZLIB::ZLIB)
