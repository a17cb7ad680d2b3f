# The fleet area: libpq (Debian's libpq-dev) for the PostgreSQL the hosts publish to, and the
# fleet's own schema (migrations/fleet/NNNN_name.sql), embedded like the SQLite one.
find_package(PkgConfig REQUIRED)
pkg_check_modules(DBG_LIBPQ REQUIRED IMPORTED_TARGET libpq)
target_link_libraries(dbg_coordinator_core PUBLIC PkgConfig::DBG_LIBPQ)
set(DBG_FLEET_MIGRATIONS ${CMAKE_CURRENT_BINARY_DIR}/fleet_embedded_migrations.cpp)
dbg_embed_migrations(${PROJECT_SOURCE_DIR}/migrations/fleet ${DBG_FLEET_MIGRATIONS} FUNCTION fleet_embedded_migrations)
target_sources(dbg_coordinator_core PRIVATE ${DBG_FLEET_MIGRATIONS})
