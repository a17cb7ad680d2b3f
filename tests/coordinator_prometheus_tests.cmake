# Prometheus (issue #21 part 5): dbgcoord_host_info and dbgcoord_error_groups_open (unit), the
# shipped scrape config and rules checked and unit-tested by promtool, and a real Prometheus
# scraping three real dbgcoord (tests/prometheus/prometheus_e2e_test.sh).
dbg_add_test(coordinator_prometheus_unit_test
  SOURCES unit/coordinator_prometheus_unit_test.cpp
  LIBS dbg_coordinator_core)

find_program(DBG_PROMTOOL promtool)
find_program(DBG_PROMETHEUS prometheus)
if(NOT DBG_PROMTOOL OR NOT DBG_PROMETHEUS)
  message(WARNING "prometheus/promtool not found (scripts/setup.sh installs them): the Prometheus tests are not registered")
  return()
endif()

# promtool check config wants the files the config names (the token, the targets, the rules):
# it runs on a copy beside stand-ins for them.
add_test(NAME coordinator_prometheus_config_test
  COMMAND sh -c "set -e; d=$(mktemp -d); trap 'rm -rf \"$d\"' EXIT; cp \"$1/docs/prometheus.yml\" \"$1/docs/prometheus-rules.yml\" \"$d/\"; echo 0123456789abcdef0123 > \"$d/dbgcoord.token\"; echo '- targets: [\"127.0.0.1:7070\"]' > \"$d/dbgcoord-targets.yml\"; \"$2\" check config \"$d/prometheus.yml\""
          sh ${PROJECT_SOURCE_DIR} ${DBG_PROMTOOL})
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
  ENVIRONMENT "PROMETHEUS=${DBG_PROMETHEUS}")
