# The dashboard (issue #8): static serving in-process (unit), and the page itself in Debian's
# chromium against a real dbgcoord and real targets (tests/browser, node + playwright-core).
dbg_add_test(coordinator_web_static_test
  SOURCES unit/coordinator_web_static_test.cpp
  LIBS dbg_coordinator_core)

find_program(DBG_NODE node)
find_program(DBG_CHROMIUM chromium)
if(DBG_NODE AND DBG_CHROMIUM)
  add_test(NAME dashboard_browser_test
    COMMAND ${DBG_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/browser/dashboard.test.js
    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/browser)
  set_tests_properties(dashboard_browser_test PROPERTIES
    TIMEOUT 600
    ENVIRONMENT "DBG_BIN_DIR=${CMAKE_RUNTIME_OUTPUT_DIRECTORY};DBG_TARGET_DIR=${CMAKE_CURRENT_BINARY_DIR}/targets;DBG_SCREENSHOT_DIR=${CMAKE_CURRENT_BINARY_DIR}/browser-screenshots;DBG_CHROMIUM=${DBG_CHROMIUM}")
  # The process view at 10,000 real processes (issue #23), apart: it needs its own host of
  # sleepers, which would change what the other tests rank.
  add_test(NAME dashboard_scale_browser_test
    COMMAND ${DBG_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/browser/scale.test.js
    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/browser)
  set_tests_properties(dashboard_scale_browser_test PROPERTIES
    TIMEOUT 600
    ENVIRONMENT "DBG_BIN_DIR=${CMAKE_RUNTIME_OUTPUT_DIRECTORY};DBG_TARGET_DIR=${CMAKE_CURRENT_BINARY_DIR}/targets;DBG_SCREENSHOT_DIR=${CMAKE_CURRENT_BINARY_DIR}/browser-screenshots-scale;DBG_CHROMIUM=${DBG_CHROMIUM}")
  # The Fleet tab (issue #21): a real PostgreSQL (initdb'd by the test, unix socket only) and two
  # coordinators in a fleet, plus one that is not in any.
  add_test(NAME dashboard_fleet_browser_test
    COMMAND ${DBG_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/browser/fleet.test.js
    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/browser)
  set_tests_properties(dashboard_fleet_browser_test PROPERTIES
    TIMEOUT 600
    ENVIRONMENT "DBG_BIN_DIR=${CMAKE_RUNTIME_OUTPUT_DIRECTORY};DBG_TARGET_DIR=${CMAKE_CURRENT_BINARY_DIR}/targets;DBG_SCREENSHOT_DIR=${CMAKE_CURRENT_BINARY_DIR}/browser-screenshots-fleet;DBG_CHROMIUM=${DBG_CHROMIUM}")
else()
  # Not silently skipped: a CTest run without the browser says so.
  add_test(NAME dashboard_browser_test COMMAND ${CMAKE_COMMAND} -E echo
    "dashboard_browser_test needs node and chromium (scripts/setup.sh installs them)")
  set_tests_properties(dashboard_browser_test PROPERTIES WILL_FAIL TRUE)
endif()
