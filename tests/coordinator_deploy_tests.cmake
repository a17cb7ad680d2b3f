# Deployment (issue #22): the config file, --check-config, the man page, the systemd unit.
dbg_add_test(coordinator_config_file_test
  SOURCES unit/coordinator_config_file_test.cpp
  LIBS dbg_coordinator_core)
dbg_add_test(coordinator_config_file_cli_test
  SOURCES integration/coordinator_config_file_cli_test.cpp)
add_dependencies(coordinator_config_file_cli_test dbgcoord)
