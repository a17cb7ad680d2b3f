#define BOOST_TEST_MODULE coordinator_config_file_cli
#include <boost/test/unit_test.hpp>
// The config file through the real bin/dbgcoord: --check-config on good and bad files (output,
// exit status, nothing created), a start refused by a bad file, and a server whose address and
// data directory come from the file (flags still winning over it).
#include <fstream>

#include "coordinator_test_client.hpp"

using namespace dbg::coord::test;
using dbg::test::run_command;

namespace {

std::filesystem::path write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

}  // namespace

BOOST_AUTO_TEST_CASE(check_config_on_a_good_file_prints_ok_and_exits_0) {
  TempDir dir;
  auto conf = write_file(dir.path() / "dbgcoord.conf",
                         "# good\nlisten = 127.0.0.1:7171\ndata-dir = " + (dir.path() / "data").string() +
                             "\nworkers = 2\nallow-other-users = on\n");
  auto result = run_dbgcoord({"--check-config", "--config", conf.string()});
  BOOST_TEST(result.exit_code == 0, result.err);
  BOOST_TEST(result.out == "ok\n");
  BOOST_TEST(result.err.empty(), result.err);
  BOOST_TEST(!std::filesystem::exists(dir.path() / "data"));  // changes nothing
}

BOOST_AUTO_TEST_CASE(check_config_on_a_bad_file_lists_every_problem_with_its_line_and_exits_2) {
  TempDir dir;
  auto conf = write_file(dir.path() / "dbgcoord.conf",
                         "# bad\n\n\n\n\n\nlisen = 127.0.0.1:7070\n\nworkers = 0\nworkers = 3\n");
  auto result = run_dbgcoord({"--check-config", "--config", conf.string()});
  BOOST_TEST(result.exit_code == 2);
  BOOST_TEST(result.out.empty(), result.out);
  const std::string name = conf.string();
  BOOST_TEST(result.err == name + ":7: unknown key \"lisen\"\n" + name +
                               ":9: workers: '0' is not a whole number from 1 to 32\n" + name +
                               ":10: duplicate key \"workers\" (first on line 9)\n");
  // Named through the environment the same.
  auto cwd_relative = dbg::test::run_command(
      {"env", "DBGCOORD_CONFIG=" + name, "timeout", "20", dbg::test::bin_path("dbgcoord"), "--check-config"});
  BOOST_TEST(cwd_relative.exit_code == 2);
  BOOST_TEST(cwd_relative.err.find(":7: unknown key \"lisen\"") != std::string::npos, cwd_relative.err);
  // A missing file named explicitly is a problem too.
  auto missing = run_dbgcoord({"--check-config", "--config", (dir.path() / "nope.conf").string()});
  BOOST_TEST(missing.exit_code == 2);
  BOOST_TEST(missing.err.find("cannot read the config file") != std::string::npos, missing.err);
}

BOOST_AUTO_TEST_CASE(a_bad_file_refuses_the_start_with_its_line) {
  TempDir dir;
  auto conf = write_file(dir.path() / "c.conf", "data-dir = " + (dir.path() / "data").string() + "\nmax-queue = 1h\n");
  auto result = run_dbgcoord({"--config", conf.string(), "--listen", "127.0.0.1:0"});
  BOOST_TEST(result.exit_code == 2);
  BOOST_TEST(result.err == "dbgcoord: " + conf.string() +
                               ":2: max-queue: '1h' is not a whole number from 1 to 1000000 (see --help)\n");
  BOOST_TEST(!std::filesystem::exists(dir.path() / "data"));
}

BOOST_AUTO_TEST_CASE(server_takes_address_and_data_dir_from_the_file_and_flags_win) {
  TempDir dir;
  auto conf = write_file(dir.path() / "c.conf", "listen = 127.0.0.1:0\ndata-dir = " + (dir.path() / "file").string() +
                                                     "\nmax-connections = 17\n");
  {
    auto c = start_coordinator({"--config", conf.string()});
    BOOST_TEST(c.startup_line.find("(data: " + (dir.path() / "file").string() + ")") != std::string::npos,
               c.startup_line);
    BOOST_TEST(http_request(c.port, "GET", "/healthz").status == 200);
  }
  auto c = start_coordinator({"--config", conf.string(), "--data-dir", (dir.path() / "flag").string()},
                             {"DBGCOORD_DATA_DIR=" + (dir.path() / "env").string()});
  BOOST_TEST(c.startup_line.find("(data: " + (dir.path() / "flag").string() + ")") != std::string::npos,
             c.startup_line);
}

BOOST_AUTO_TEST_CASE(help_config_prints_the_shipped_file_but_the_keys_the_package_sets) {
  auto result = run_dbgcoord({"--help-config"});
  BOOST_TEST(result.exit_code == 0);
  std::ifstream in(std::string(DBG_SOURCE_DIR) + "/packaging/dbgcoord.conf");
  std::string shipped((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The package sets crash-capture (packaging/dbgcoord.conf.overlay); commented back, its line is
  // --help-config's. The exact check of the whole file is coordinator_packaged_conf_test.
  const std::string set = "\ncrash-capture = host";
  const auto at = shipped.find(set);
  BOOST_REQUIRE(at != std::string::npos);
  shipped.replace(at + 1, shipped.find('\n', at + 1) - at - 1, "#crash-capture = off");
  BOOST_TEST((result.out == shipped),
             "packaging/dbgcoord.conf is stale: regenerate with packaging/gen_conf.sh (docs/operations.md)");
}
