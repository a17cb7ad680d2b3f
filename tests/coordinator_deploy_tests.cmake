# Deployment (issue #22): the config file, --check-config, the man page, the systemd unit.
dbg_add_test(coordinator_config_file_test
  SOURCES unit/coordinator_config_file_test.cpp
  LIBS dbg_coordinator_core)
dbg_add_test(coordinator_config_file_cli_test
  SOURCES integration/coordinator_config_file_cli_test.cpp)
add_dependencies(coordinator_config_file_cli_test dbgcoord)
# The man page: rendered by man-db without a groff warning, every flag in it.
dbg_add_test(coordinator_man_page_test
  SOURCES integration/coordinator_man_page_test.cpp
  LIBS dbg_coordinator_core)
target_compile_definitions(coordinator_man_page_test PRIVATE DBG_MAN_PAGE="${CMAKE_BINARY_DIR}/man/man1/dbgcoord.1")
add_dependencies(coordinator_man_page_test dbgcoord_man)
