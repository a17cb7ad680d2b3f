#define BOOST_TEST_MODULE coordinator_config
#include <boost/test/unit_test.hpp>
// Unit test of the flag and environment parser (no process is started).
#include <unistd.h>

#include <algorithm>
#include <map>

#include "coordinator/config.hpp"
#include "coordinator/config_flags.hpp"
#include "config_env.hpp"
#include <set>

using dbg::coord::CommandLine;
using dbg::coord::parse_command_line;
using dbg::coord::parse_listen_address;
using Action = CommandLine::Action;
using dbg::coord::test::env_of;

namespace {

CommandLine parse(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  return parse_command_line(args, env_of(std::move(env)));
}

}  // namespace

BOOST_AUTO_TEST_CASE(no_flags_no_env_gives_defaults) {
  auto cl = parse({});
  BOOST_TEST((cl.action == Action::run));
  BOOST_TEST(cl.config.listen.host == "127.0.0.1");
  BOOST_TEST(cl.config.listen.port == 7070);
  BOOST_TEST(cl.config.data_dir == "./data");
  BOOST_TEST(!cl.config.allow_remote);
  BOOST_TEST(!cl.config.token_file);
}

BOOST_AUTO_TEST_CASE(pool_and_ranking_flags) {
  auto defaults = parse({});
  BOOST_TEST(defaults.config.workers >= 4u);
  BOOST_TEST(defaults.config.workers <= 32u);
  BOOST_TEST(defaults.config.batch_size == 8u);
  BOOST_TEST(!defaults.config.allow_other_users);
  auto set = parse({"--workers", "3", "--batch-size=5", "--rank-rules", "/etc/r.json", "--allow-other-users"});
  BOOST_TEST((set.action == Action::run));
  BOOST_TEST(set.config.workers == 3u);
  BOOST_TEST(set.config.batch_size == 5u);
  BOOST_TEST(*set.config.rank_rules_file == "/etc/r.json");
  BOOST_TEST(set.config.allow_other_users);
  BOOST_TEST(defaults.config.max_queue == 32768u);  // a session over every process of a default-pid_max host
  BOOST_TEST(parse({"--max-queue", "10"}).config.max_queue == 10u);
  auto env = parse({}, {{"DBGCOORD_WORKERS", "2"}, {"DBGCOORD_BATCH_SIZE", "4"}});
  BOOST_TEST(env.config.workers == 2u);
  BOOST_TEST(env.config.batch_size == 4u);
}

BOOST_AUTO_TEST_CASE(token_file_from_flag_or_env_and_flag_wins) {
  BOOST_TEST(*parse({"--token-file", "/run/secrets/t"}).config.token_file == "/run/secrets/t");
  BOOST_TEST(*parse({"--token-file=/run/secrets/t"}).config.token_file == "/run/secrets/t");
  BOOST_TEST(*parse({}, {{"DBGCOORD_TOKEN_FILE", "/env/t"}}).config.token_file == "/env/t");
  BOOST_TEST(*parse({"--token-file", "/flag/t"}, {{"DBGCOORD_TOKEN_FILE", "/env/t"}}).config.token_file == "/flag/t");
  BOOST_TEST(!parse({}, {{"DBGCOORD_TOKEN_FILE", ""}}).config.token_file);
}

BOOST_AUTO_TEST_CASE(flags_in_both_spellings_are_read) {
  auto spaced = parse({"--listen", "127.0.0.2:0", "--data-dir", "/var/lib/x"});
  auto equals = parse({"--listen=127.0.0.2:0", "--data-dir=/var/lib/x"});
  for (const auto& cl : {spaced, equals}) {
    BOOST_TEST((cl.action == Action::run));
    BOOST_TEST(cl.config.listen.host == "127.0.0.2");
    BOOST_TEST(cl.config.listen.port == 0);
    BOOST_TEST(cl.config.data_dir == "/var/lib/x");
  }
}

BOOST_AUTO_TEST_CASE(env_is_fallback_and_flags_win) {
  std::map<std::string, std::string> env{{"DBGCOORD_LISTEN", "127.0.0.1:9000"}, {"DBGCOORD_DATA_DIR", "/env"}};
  auto from_env = parse({}, env);
  BOOST_TEST(from_env.config.listen.port == 9000);
  BOOST_TEST(from_env.config.data_dir == "/env");
  auto from_flags = parse({"--listen", "127.0.0.1:9001", "--data-dir", "/flag"}, env);
  BOOST_TEST(from_flags.config.listen.port == 9001);
  BOOST_TEST(from_flags.config.data_dir == "/flag");
}

BOOST_AUTO_TEST_CASE(empty_env_counts_as_unset) {
  auto cl = parse({}, {{"DBGCOORD_LISTEN", ""}, {"DBGCOORD_DATA_DIR", ""}});
  BOOST_TEST((cl.action == Action::run));
  BOOST_TEST(cl.config.listen.port == 7070);
  BOOST_TEST(cl.config.data_dir == "./data");
}

BOOST_AUTO_TEST_CASE(bad_env_value_is_a_usage_error_naming_the_variable) {
  auto cl = parse({}, {{"DBGCOORD_LISTEN", "nope"}});
  BOOST_TEST((cl.action == Action::usage_error));
  BOOST_TEST(cl.error.find("DBGCOORD_LISTEN") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(help_wins_over_errors_and_version_is_recognised) {
  BOOST_TEST((parse({"--bogus", "--help"}).action == Action::help));
  BOOST_TEST((parse({"-h"}).action == Action::help));
  BOOST_TEST((parse({"--version"}).action == Action::version));
}

BOOST_AUTO_TEST_CASE(unknown_flags_missing_values_and_stray_arguments_are_usage_errors) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"--nope"}, {"-x"}, {"stray"}, {"--listen"}, {"--data-dir"}, {"--data-dir="}, {"--listen", "1.2.3"},
           {"--token-file"}, {"--token-file="}, {"--workers", "0"}, {"--workers", "33"}, {"--workers", "2x"},
           {"--batch-size", "0"}, {"--batch-size"}, {"--rank-rules="}, {"--max-queue", "0"}}) {
    auto cl = parse(args);
    BOOST_TEST((cl.action == Action::usage_error), args.front());
    BOOST_TEST(!cl.error.empty());
    BOOST_TEST(cl.error.find('\n') == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(listen_address_forms) {
  std::string error;
  auto v4 = parse_listen_address("10.1.2.3:80", &error);
  BOOST_REQUIRE(v4);
  BOOST_TEST(v4->host == "10.1.2.3");
  BOOST_TEST(v4->port == 80);
  auto v6 = parse_listen_address("[::1]:65535", &error);
  BOOST_REQUIRE(v6);
  BOOST_TEST(v6->host == "::1");
  BOOST_TEST(v6->port == 65535);
  BOOST_TEST(v6->to_string() == "[::1]:65535");
  auto local = parse_listen_address("localhost:1", &error);
  BOOST_REQUIRE(local);
  BOOST_TEST(local->host == "127.0.0.1");
  for (const char* bad : {"", "80", ":80", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:-1", "1.2.3.4:+1", "1.2.3.4:8o",
                          "::1:80", "[::1]80", "[1.2.3.4]:80", "[::1", "host.example:80", "1.2.3:80"}) {
    error.clear();
    BOOST_TEST(!parse_listen_address(bad, &error), bad);
    BOOST_TEST(!error.empty(), bad);
  }
}

BOOST_AUTO_TEST_CASE(loopback_detection) {
  std::string error;
  for (const char* yes : {"127.0.0.1:1", "127.9.9.9:1", "[::1]:1", "[::ffff:127.0.0.1]:1"}) {
    BOOST_TEST(parse_listen_address(yes, &error)->is_loopback(), yes);
  }
  for (const char* no : {"0.0.0.0:1", "10.0.0.1:1", "[::]:1", "[fe80::1]:1", "128.0.0.1:1"}) {
    BOOST_TEST(!parse_listen_address(no, &error)->is_loopback(), no);
  }
}

BOOST_AUTO_TEST_CASE(non_loopback_needs_allow_remote) {
  auto refused = parse({"--listen", "0.0.0.0:7070"});
  BOOST_TEST((refused.action == Action::usage_error));
  BOOST_TEST(refused.error.find("--allow-remote") != std::string::npos);
  auto allowed = parse({"--listen", "0.0.0.0:7070", "--allow-remote"});
  BOOST_TEST((allowed.action == Action::run));
  BOOST_TEST(allowed.config.allow_remote);
}

BOOST_AUTO_TEST_CASE(help_text_mentions_every_flag) {
  auto text = dbg::coord::help_text();
  for (const char* word : {"--listen", "--data-dir", "--token-file", "--allow-remote", "--help", "--version",
                           "DBGCOORD_LISTEN", "DBGCOORD_DATA_DIR", "DBGCOORD_TOKEN_FILE"}) {
    BOOST_TEST(text.find(word) != std::string::npos, word);
  }
}

BOOST_AUTO_TEST_CASE(io_threads_default_flag_env_and_bounds) {
  // Half the cores, at least 1, at most 4: the rest is left to the workers and the store.
  const long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  const std::size_t expected = std::min<std::size_t>(4, std::max<long>(1, cores / 2));
  BOOST_TEST(parse({}).config.io_threads == expected);
  BOOST_TEST(parse({"--io-threads", "3"}).config.io_threads == 3u);
  BOOST_TEST(parse({}, {{"DBGCOORD_IO_THREADS", "2"}}).config.io_threads == 2u);
  BOOST_TEST(parse({"--io-threads=5"}, {{"DBGCOORD_IO_THREADS", "2"}}).config.io_threads == 5u);
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"--io-threads", "0"}, {"--io-threads", "65"}, {"--io-threads", "two"}, {"--io-threads"}}) {
    auto cl = parse(args);
    BOOST_TEST((cl.action == Action::usage_error), args.back());
    BOOST_TEST(cl.error.find("--io-threads") != std::string::npos, cl.error);
  }
  BOOST_TEST((parse({}, {{"DBGCOORD_IO_THREADS", "0"}}).action == Action::usage_error));
}

BOOST_AUTO_TEST_CASE(max_connections_default_flag_env_and_bounds) {
  // 256 unless asked: hundreds of event-stream clients need it raised (bench/run_load_bench.sh).
  BOOST_TEST(parse({}).config.max_connections == 256u);
  BOOST_TEST(parse({"--max-connections", "1024"}).config.max_connections == 1024u);
  BOOST_TEST(parse({}, {{"DBGCOORD_MAX_CONNECTIONS", "600"}}).config.max_connections == 600u);
  BOOST_TEST(parse({"--max-connections=700"}, {{"DBGCOORD_MAX_CONNECTIONS", "600"}}).config.max_connections == 700u);
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"--max-connections", "0"}, {"--max-connections", "65537"}, {"--max-connections", "many"}, {"--max-connections"}}) {
    auto cl = parse(args);
    BOOST_TEST((cl.action == Action::usage_error), args.back());
    BOOST_TEST(cl.error.find("--max-connections") != std::string::npos, cl.error);
  }
}

BOOST_AUTO_TEST_CASE(analysis_flags_env_and_bad_values) {
  auto defaults = parse({});
  BOOST_TEST(defaults.config.analysis_cache == 1000u);
  BOOST_TEST(!defaults.config.model_file);
  auto set = parse({"--analysis-cache", "50", "--model-file=/opt/m.json"});
  BOOST_TEST(set.config.analysis_cache == 50u);
  BOOST_TEST(*set.config.model_file == "/opt/m.json");
  auto env = parse({}, {{"DBGCOORD_ANALYSIS_CACHE", "7"}, {"DBGCOORD_MODEL_FILE", "/env/m.json"}});
  BOOST_TEST(env.config.analysis_cache == 7u);
  BOOST_TEST(*env.config.model_file == "/env/m.json");
  BOOST_TEST(parse({"--analysis-cache", "9"}, {{"DBGCOORD_ANALYSIS_CACHE", "7"}}).config.analysis_cache == 9u);
  for (const char* bad : {"0", "-1", "x", "1000001", ""}) {
    auto cl = parse({"--analysis-cache", bad});
    BOOST_TEST((cl.action == CommandLine::Action::usage_error), bad);
  }
  BOOST_TEST((parse({"--model-file="}).action == CommandLine::Action::usage_error));
  BOOST_TEST((parse({"--model-file"}).action == CommandLine::Action::usage_error));
  BOOST_TEST(dbg::coord::help_text().find("--analysis-cache") != std::string::npos);
  BOOST_TEST(dbg::coord::help_text().find("DBGCOORD_MODEL_FILE") != std::string::npos);
  BOOST_TEST(defaults.config.analysis_background);
  BOOST_TEST(!parse({"--analysis-background", "off"}).config.analysis_background);
  BOOST_TEST(!parse({}, {{"DBGCOORD_ANALYSIS_BACKGROUND", "off"}}).config.analysis_background);
  BOOST_TEST(parse({"--analysis-background=on"}, {{"DBGCOORD_ANALYSIS_BACKGROUND", "off"}}).config.analysis_background);
  BOOST_TEST((parse({"--analysis-background", "yes"}).action == CommandLine::Action::usage_error));
}

BOOST_AUTO_TEST_CASE(detect_interval_default_off_flag_env_and_bounds) {
  BOOST_TEST(parse({}).config.detect_interval_s == 0u);
  BOOST_TEST(parse({"--detect-interval", "60"}).config.detect_interval_s == 60u);
  BOOST_TEST(parse({"--detect-interval", "0"}).config.detect_interval_s == 0u);
  BOOST_TEST(parse({}, {{"DBGCOORD_DETECT_INTERVAL", "30"}}).config.detect_interval_s == 30u);
  BOOST_TEST(parse({"--detect-interval=5"}, {{"DBGCOORD_DETECT_INTERVAL", "30"}}).config.detect_interval_s == 5u);
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"--detect-interval", "86401"}, {"--detect-interval", "-1"}, {"--detect-interval", "soon"}, {"--detect-interval"}}) {
    auto cl = parse(args);
    BOOST_TEST((cl.action == Action::usage_error), args.back());
    BOOST_TEST(cl.error.find("--detect-interval") != std::string::npos, cl.error);
  }
  BOOST_TEST(dbg::coord::help_text().find("--detect-interval") != std::string::npos);
  BOOST_TEST(dbg::coord::help_text().find("DBGCOORD_DETECT_INTERVAL") != std::string::npos);
}

// The flag table drives everything: each flag is in --help with its variable, variables are
// unique, every integer flag accepts its range's edges and refuses one past them, from the
// command line and from the environment alike (the message then names the variable too).
BOOST_AUTO_TEST_CASE(flag_table_ranges_env_and_help_agree) {
  const auto help = dbg::coord::help_text();
  std::set<std::string_view> envs;
  for (const auto& spec : dbg::coord::flag_table()) {
    BOOST_TEST_CONTEXT(spec.name) {
      BOOST_TEST(help.find(std::string(spec.name)) != std::string::npos);
      if (!spec.env.empty()) {
        BOOST_TEST(envs.insert(spec.env).second);
        BOOST_TEST(help.find(std::string(spec.env)) != std::string::npos);
      }
      if (spec.kind != dbg::coord::FlagKind::integer) continue;
      const std::string name(spec.name);
      for (auto ok : {spec.min, spec.max}) {
        BOOST_TEST((parse({name, std::to_string(ok)}).action == Action::run), ok);
      }
      if (spec.min > 0) BOOST_TEST((parse({name + "=" + std::to_string(spec.min - 1)}).action == Action::usage_error));
      auto over = parse({name, std::to_string(spec.max + 1)});
      BOOST_TEST((over.action == Action::usage_error));
      BOOST_TEST(over.error.find(name + ": '" + std::to_string(spec.max + 1) + "' is not a whole number") == 0u, over.error);
      BOOST_TEST((parse({name}).action == Action::usage_error));
      if (spec.env.empty()) continue;
      auto from_env = parse({}, {{std::string(spec.env), "x"}});
      BOOST_TEST((from_env.action == Action::usage_error));
      BOOST_TEST(from_env.error.find(name) != std::string::npos, from_env.error);
      BOOST_TEST(from_env.error.find(std::string(spec.env)) != std::string::npos, from_env.error);
    }
  }
}

BOOST_AUTO_TEST_CASE(version_wins_over_bad_values_but_not_over_unknown_flags) {
  BOOST_TEST((parse({"--version", "--workers", "0"}).action == Action::version));
  BOOST_TEST((parse({"--version", "--nope"}).action == Action::usage_error));
  BOOST_TEST((parse({"--allow-remote=yes"}).action == Action::usage_error));
}

BOOST_AUTO_TEST_CASE(crash_capture_is_off_or_host_and_the_crash_dir_a_path) {
  BOOST_TEST(parse({}).config.crash_capture_host == false);
  BOOST_TEST(parse({"--crash-capture", "host"}).config.crash_capture_host == true);
  BOOST_TEST(parse({"--crash-capture=off"}).config.crash_capture_host == false);
  BOOST_TEST(parse({}, {{"DBGCOORD_CRASH_CAPTURE", "host"}}).config.crash_capture_host == true);
  auto bad = parse({"--crash-capture", "on"});
  BOOST_TEST((bad.action == Action::usage_error));
  BOOST_TEST(bad.error.find("is not off or host") != std::string::npos, bad.error);
  BOOST_TEST(!parse({}).config.crash_dir.has_value());
  BOOST_TEST(parse({"--crash-dir", "/var/lib/c"}).config.crash_dir->string() == "/var/lib/c");
  BOOST_TEST((parse({"--crash-dir", ""}).action == Action::usage_error));
  BOOST_TEST(dbg::coord::help_text().find("--crash-capture off|host") != std::string::npos);
}
