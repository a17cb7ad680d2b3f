#define BOOST_TEST_MODULE coordinator_cli
#include <boost/test/unit_test.hpp>
// dbgcoord's command line, environment, startup line, exit codes and signals, run as a real
// process. Commands that should exit at once run under timeout(1), so a regression that makes
// them serve forever fails the test instead of hanging it.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <fstream>

#include "coordinator_test_client.hpp"

using namespace dbg::coord::test;
using dbg::test::run_command;

namespace {

std::size_t count_lines(const std::string& text) {
  std::size_t n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

void check_usage_error(const std::vector<std::string>& args, const std::string& must_mention) {
  BOOST_TEST_CONTEXT("args: " << args.size() << " first: " << (args.empty() ? "" : args.front())) {
    auto result = run_dbgcoord(args);
    BOOST_TEST(result.exit_code == 2);
    BOOST_TEST(count_lines(result.err) == 1u, "stderr: " << result.err);
    BOOST_TEST(result.err.find("see --help") != std::string::npos, "stderr: " << result.err);
    BOOST_TEST(result.err.find(must_mention) != std::string::npos, "stderr: " << result.err);
    BOOST_TEST(result.out.empty());
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(help_exits_0_and_documents_every_flag_and_env_var) {
  for (const char* flag : {"--help", "-h"}) {
    auto result = run_dbgcoord({flag});
    BOOST_TEST(result.exit_code == 0);
    for (const char* word : {"--listen", "--data-dir", "--token-file", "--allow-remote", "--help", "--version",
                             "--workers", "--batch-size", "--max-queue", "--rank-rules", "--allow-other-users",
                             "DBGCOORD_LISTEN", "DBGCOORD_DATA_DIR", "DBGCOORD_TOKEN_FILE", "DBGCOORD_WORKERS",
                             "DBGCOORD_BATCH_SIZE", "DBGCOORD_MAX_QUEUE", "DBGCOORD_RANK_RULES", "127.0.0.1:7070", "./data"}) {
      BOOST_TEST(result.out.find(word) != std::string::npos, "help lacks " << word);
    }
  }
}

BOOST_AUTO_TEST_CASE(version_exits_0_and_prints_version) {
  auto result = run_dbgcoord({"--version"});
  BOOST_TEST(result.exit_code == 0);
  BOOST_TEST(result.out.rfind("dbgcoord ", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(unknown_flag_exits_2_with_one_line_error) {
  check_usage_error({"--frobnicate"}, "--frobnicate");
  check_usage_error({"stray"}, "stray");
}

BOOST_AUTO_TEST_CASE(malformed_listen_values_exit_2) {
  for (std::string value : {"7070", "127.0.0.1", "127.0.0.1:", "127.0.0.1:70000", "127.0.0.1:7x", "example.com:80",
                            "::1:7070", "[::1]7070", ":7070"}) {
    BOOST_TEST_CONTEXT("--listen " << value) { check_usage_error({"--listen", value}, value); }
  }
}

BOOST_AUTO_TEST_CASE(flag_without_value_exits_2) {
  check_usage_error({"--listen"}, "--listen");
  check_usage_error({"--data-dir"}, "--data-dir");
  check_usage_error({"--data-dir="}, "--data-dir");
}

BOOST_AUTO_TEST_CASE(malformed_env_listen_exits_2_naming_the_variable) {
  auto result = run_command({"env", "DBGCOORD_LISTEN=nonsense", "timeout", "20", dbg::test::bin_path("dbgcoord")});
  BOOST_TEST(result.exit_code == 2);
  BOOST_TEST(result.err.find("DBGCOORD_LISTEN") != std::string::npos, "stderr: " << result.err);
}

BOOST_AUTO_TEST_CASE(non_loopback_listen_without_allow_remote_exits_2) {
  check_usage_error({"--listen", "0.0.0.0:0"}, "--allow-remote");
}

BOOST_AUTO_TEST_CASE(non_loopback_listen_with_allow_remote_starts) {
  TempDir dir;
  auto c = start_coordinator({"--listen", "0.0.0.0:0", "--allow-remote", "--data-dir", dir.path().string()});
  BOOST_TEST(c.startup_line.find("http://0.0.0.0:") != std::string::npos);
  BOOST_TEST(http_request(c.port, "GET", "/healthz").status == 200);
  // ...and says so in its log (DATA_DIR/logs, complete after the flush at stop).
  c.process.signal(SIGTERM);
  BOOST_REQUIRE_EQUAL(exit_code_of(c.process.wait(10s)), 0);
  std::ifstream log_file(dir.path() / "logs" / "dbgcoord.log");
  std::string log((std::istreambuf_iterator<char>(log_file)), std::istreambuf_iterator<char>());
  BOOST_TEST(log.find("non-loopback address 0.0.0.0:") != std::string::npos, log);
}

BOOST_AUTO_TEST_CASE(loopback_listen_logs_no_remote_warning) {
  TempDir dir;
  auto c = start_coordinator_in(dir.path());
  c.process.signal(SIGTERM);
  BOOST_REQUIRE_EQUAL(exit_code_of(c.process.wait(10s)), 0);
  std::ifstream log_file(dir.path() / "logs" / "dbgcoord.log");
  std::string log((std::istreambuf_iterator<char>(log_file)), std::istreambuf_iterator<char>());
  BOOST_TEST(log.find("API token") != std::string::npos, log);  // the log was written at all
  BOOST_TEST(log.find("non-loopback") == std::string::npos, log);
}

BOOST_AUTO_TEST_CASE(startup_line_names_port_and_data_dir_and_dir_is_created_0700) {
  TempDir dir;
  auto data = dir.path() / "nested" / "data";
  auto c = start_coordinator_in(data);
  BOOST_TEST(c.port > 0);
  BOOST_TEST(c.startup_line == "dbgcoord listening on http://127.0.0.1:" + std::to_string(c.port) +
                                   " (data: " + data.string() + ")");
  struct stat st{};
  BOOST_REQUIRE(::stat(data.c_str(), &st) == 0);
  BOOST_TEST(S_ISDIR(st.st_mode));
  BOOST_TEST((st.st_mode & 0777) == 0700u);
}

BOOST_AUTO_TEST_CASE(env_vars_are_used_when_flags_are_absent) {
  TempDir dir;
  auto data = dir.path() / "from-env";
  std::string listen_env = "DBGCOORD_LISTEN=127.0.0.1:0";
  std::string dir_env = "DBGCOORD_DATA_DIR=" + data.string();
  auto c = start_coordinator({}, {listen_env, dir_env});
  BOOST_TEST(c.startup_line.find("(data: " + data.string() + ")") != std::string::npos);
  BOOST_TEST(std::filesystem::exists(data / "dbgcoord.db"));
}

BOOST_AUTO_TEST_CASE(flags_take_precedence_over_env_vars) {
  TempDir dir;
  auto c = start_coordinator({"--listen", "127.0.0.1:0", "--data-dir", (dir.path() / "flag").string()},
                             {"DBGCOORD_LISTEN=bogus", "DBGCOORD_DATA_DIR=" + (dir.path() / "env").string()});
  BOOST_TEST(std::filesystem::exists(dir.path() / "flag" / "dbgcoord.db"));
  BOOST_TEST(!std::filesystem::exists(dir.path() / "env"));
}

BOOST_AUTO_TEST_CASE(port_in_use_exits_1_with_clear_error) {
  // Hold a listening socket on an ephemeral port, then ask dbgcoord for the same port.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  BOOST_REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  BOOST_REQUIRE(::listen(fd, 1) == 0);
  socklen_t len = sizeof addr;
  BOOST_REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  std::string port = std::to_string(ntohs(addr.sin_port));

  TempDir dir;
  auto result = run_dbgcoord({"--listen", "127.0.0.1:" + port, "--data-dir", dir.path().string()});
  ::close(fd);
  BOOST_TEST(result.exit_code == 1);
  BOOST_TEST(result.out.empty(), "no startup line expected, got: " << result.out);
  BOOST_TEST(result.err.find("127.0.0.1:" + port) != std::string::npos, "stderr: " << result.err);
  BOOST_TEST(result.err.find("in use") != std::string::npos, "stderr: " << result.err);
}

BOOST_AUTO_TEST_CASE(data_dir_that_is_a_file_exits_1) {
  TempDir dir;
  auto file = dir.path() / "plain-file";
  { std::ofstream(file) << "x"; }
  auto result = run_dbgcoord({"--listen", "127.0.0.1:0", "--data-dir", file.string()});
  BOOST_TEST(result.exit_code == 1);
  BOOST_TEST(result.err.find("not a directory") != std::string::npos, "stderr: " << result.err);
}

BOOST_AUTO_TEST_CASE(sigterm_and_sigint_stop_gracefully_with_exit_0) {
  for (int sig : {SIGTERM, SIGINT}) {
    BOOST_TEST_CONTEXT("signal " << sig) {
      TempDir dir;
      auto c = start_coordinator_in(dir.path());
      // An open keep-alive connection must not hold the shutdown up.
      HttpConnection idle(c.port);
      idle.send_request("GET", "/healthz");
      BOOST_REQUIRE(idle.read_response());
      c.process.signal(sig);
      auto status = c.process.wait(10s);
      BOOST_REQUIRE(status.has_value());
      BOOST_TEST(exit_code_of(status) == 0);
    }
  }
}
