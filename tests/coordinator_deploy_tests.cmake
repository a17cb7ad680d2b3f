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
# sd_notify (Type=notify) and the systemd unit: systemd-analyze verify accepts it.
dbg_add_test(coordinator_sd_notify_test
  SOURCES integration/coordinator_sd_notify_test.cpp
  LIBS dbg_coordinator_core)
add_dependencies(coordinator_sd_notify_test dbgcoord)
add_test(NAME coordinator_systemd_unit_test
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/deploy/systemd_unit_test.sh ${PROJECT_SOURCE_DIR} $<TARGET_FILE:dbgcoord>
          ${CMAKE_BINARY_DIR}/man)
set_tests_properties(coordinator_systemd_unit_test PROPERTIES TIMEOUT 60)
# The Debian package (packaging/install.cmake, scripts/package.sh): built by cpack into a
# temporary directory, its contents and control checked, its binary run from a temporary root.
add_test(NAME coordinator_package_test
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/deploy/package_test.sh ${CMAKE_BINARY_DIR} ${PROJECT_VERSION})
set_tests_properties(coordinator_package_test PROPERTIES TIMEOUT 120)
# The token stays out of the journal: JOURNAL_STREAM (systemd.exec(5)) tells journald's stdout.
dbg_add_test(coordinator_journal_stream_test
  SOURCES unit/coordinator_journal_stream_test.cpp
  LIBS dbg_coordinator_core)
add_test(NAME coordinator_journal_token_test
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/deploy/journal_token_test.sh $<TARGET_FILE:dbgcoord>)
set_tests_properties(coordinator_journal_token_test PROPERTIES TIMEOUT 60)
# The packaged config file is --help-config plus packaging/dbgcoord.conf.overlay (packaging/gen_conf.sh):
# fails when it is stale.
add_test(NAME coordinator_packaged_conf_test
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/deploy/packaged_conf_test.sh ${PROJECT_SOURCE_DIR} $<TARGET_FILE:dbgcoord>)
set_tests_properties(coordinator_packaged_conf_test PROPERTIES TIMEOUT 60)
# The package installed, served from, removed and purged in a temporary root (dpkg --root), with
# its maintainer scripts; nothing of this machine changed.
add_test(NAME coordinator_install_test
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/deploy/install_test.sh ${CMAKE_BINARY_DIR} ${PROJECT_VERSION})
set_tests_properties(coordinator_install_test PROPERTIES TIMEOUT 180)
