# Prometheus (issue #21 part 5): dbgcoord_host_info and dbgcoord_error_groups_open (unit), the
# shipped scrape config and rules checked and unit-tested by promtool, and a real Prometheus
# scraping three real dbgcoord (tests/prometheus/prometheus_e2e_test.sh).
dbg_add_test(coordinator_prometheus_unit_test
  SOURCES unit/coordinator_prometheus_unit_test.cpp
  LIBS dbg_coordinator_core)

find_program(DBG_PROMTOOL promtool)
find_program(DBG_PROMETHEUS prometheus)
if(NOT DBG_PROMTOOL OR NOT DBG_PROMETHEUS)
  message(WARNING "prometheus or promtool not found (scripts/setup.sh installs them): "
                  "the Prometheus tests are not registered")
  return()
endif()

add_test(NAME coordinator_prometheus_config_test
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/prometheus/check_config.sh ${DBG_PROMTOOL} ${PROJECT_SOURCE_DIR})
add_test(NAME coordinator_prometheus_rules_check_test
  COMMAND ${DBG_PROMTOOL} check rules ${PROJECT_SOURCE_DIR}/docs/prometheus-rules.yml)
add_test(NAME coordinator_prometheus_rules_test
  COMMAND ${DBG_PROMTOOL} test rules prometheus-rules.test.yml
  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}/docs)
set_tests_properties(coordinator_prometheus_config_test coordinator_prometheus_rules_check_test
  coordinator_prometheus_rules_test PROPERTIES TIMEOUT 60)

add_test(NAME coordinator_prometheus_e2e_test
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/prometheus/prometheus_e2e_test.sh $<TARGET_FILE:dbgcoord> ${PROJECT_SOURCE_DIR})
set_tests_properties(coordinator_prometheus_e2e_test PROPERTIES TIMEOUT 180
  ENVIRONMENT "PROMETHEUS=${DBG_PROMETHEUS};PROMTOOL=${DBG_PROMTOOL}")
