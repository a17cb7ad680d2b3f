#define BOOST_TEST_MODULE coordinator_config_file
#include <boost/test/unit_test.hpp>
// Unit test of the config file: parse_config_file's lines and problems, and the precedence
// flag > environment > file > default through parse_command_line with an injected file reader.
// Also: the shipped packaging/dbgcoord.conf is --help-config's output but for the keys the package
// sets (packaging/dbgcoord.conf.overlay), so it names every key of the flag table and cannot go
// stale; and what it sets wins over the defaults while the environment and flags still beat it.
#include <fstream>
#include <map>
#include <sstream>

#include "coordinator/config.hpp"
#include "coordinator/config_flags.hpp"
#include "config_env.hpp"

using dbg::coord::CommandLine;
using dbg::coord::parse_command_line;
using dbg::coord::parse_config_file;
using Action = CommandLine::Action;
using dbg::coord::test::env_of;

namespace {

dbg::coord::FileReader files_of(std::map<std::string, std::string> files) {
  return [files = std::move(files)](const std::filesystem::path& path) {
    dbg::coord::FileRead read;
    auto it = files.find(path.string());
    if (it == files.end()) return read;
    read.found = true;
    read.text = it->second;
    return read;
  };
}

CommandLine parse(std::vector<std::string> args, std::map<std::string, std::string> env,
                  std::map<std::string, std::string> files) {
  return parse_command_line(args, env_of(std::move(env)), files_of(std::move(files)));
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(good_file_sets_every_kind_and_skips_comments_and_blank_lines) {
  const std::string text =
      "# a comment\n"
      "\n"
      "listen = 127.0.0.2:7171\n"
      "  data-dir=/var/lib/dbgcoord  \n"
      "\t# indented comment\n"
      "workers = 3\r\n"
      "budget-cpu-percent = 2.5\n"
      "analysis-background = off\n"
      "crash-capture = host\n"
      "allow-other-users = on\n"
      "rank-rules = /etc/dbgcoord/rules.json\n";
  auto parsed = parse_config_file(text, "dbgcoord.conf");
  BOOST_TEST(parsed.problems.empty(), joined(parsed.problems));
  BOOST_TEST(parsed.entries.size() == 8u);
  BOOST_TEST(parsed.entries.front().line == 3u);

  auto cl = parse({}, {}, {{"/etc/dbgcoord/dbgcoord.conf", text}});
  BOOST_TEST((cl.action == Action::run), cl.error);
  BOOST_TEST(cl.config.listen.to_string() == "127.0.0.2:7171");
  BOOST_TEST(cl.config.data_dir == "/var/lib/dbgcoord");
  BOOST_TEST(cl.config.workers == 3u);
  BOOST_TEST(cl.config.budget_cpu_percent == 2.5);
  BOOST_TEST(!cl.config.analysis_background);
  BOOST_TEST(cl.config.crash_capture_host);
  BOOST_TEST(cl.config.allow_other_users);
  BOOST_TEST(*cl.config.rank_rules_file == "/etc/dbgcoord/rules.json");
  BOOST_TEST(*cl.config_file_read == "/etc/dbgcoord/dbgcoord.conf");
}

BOOST_AUTO_TEST_CASE(a_hash_after_a_space_starts_a_comment_and_one_inside_a_word_does_not) {
  const std::string text =
      "workers = 4  # four\n"
      "data-dir = /srv/a#b\t# the '#' inside the name is kept\n"
      "analysis-background = off\t#off\n"
      "max-queue = # nothing before the comment\n";
  auto parsed = parse_config_file(text, "f");
  BOOST_TEST(parsed.problems.size() == 1u, joined(parsed.problems));
  BOOST_TEST(parsed.problems.at(0) == "f:4: max-queue: '' is not a whole number from 1 to 1000000");
  BOOST_TEST(parsed.entries.size() == 3u);
  auto cl = parse({}, {}, {{"/etc/dbgcoord/dbgcoord.conf", text.substr(0, text.rfind("max-queue"))}});
  BOOST_TEST((cl.action == Action::run), cl.error);
  BOOST_TEST(cl.config.workers == 4u);
  BOOST_TEST(cl.config.data_dir == "/srv/a#b");
  BOOST_TEST(!cl.config.analysis_background);
}

BOOST_AUTO_TEST_CASE(unknown_key_is_reported_with_its_line) {
  auto parsed = parse_config_file("workers = 2\n\n# x\n\n\n\nlisen = 127.0.0.1:7070\n", "dbgcoord.conf");
  BOOST_TEST(joined(parsed.problems) == "dbgcoord.conf:7: unknown key \"lisen\"\n");
  BOOST_TEST(parsed.entries.size() == 1u);
}

BOOST_AUTO_TEST_CASE(bad_value_is_reported_with_its_line_and_the_flags_own_message) {
  std::string text(8, '\n');
  text += "workers = 0\nmax-queue = 1h\nanalysis-background = yes\nlisten = 127.0.0.1:99999\ndata-dir =\n";
  auto parsed = parse_config_file(text, "dbgcoord.conf");
  BOOST_TEST(parsed.problems.size() == 5u, joined(parsed.problems));
  BOOST_TEST(parsed.problems.at(0) == "dbgcoord.conf:9: workers: '0' is not a whole number from 1 to 32");
  BOOST_TEST(parsed.problems.at(1) == "dbgcoord.conf:10: max-queue: '1h' is not a whole number from 1 to 1000000");
  BOOST_TEST(parsed.problems.at(2) == "dbgcoord.conf:11: analysis-background: 'yes' is not on or off");
  BOOST_TEST(parsed.problems.at(3).starts_with("dbgcoord.conf:12: listen: invalid listen address"));
  BOOST_TEST(parsed.problems.at(4) == "dbgcoord.conf:13: data-dir: the directory must not be empty");
  // The same words as the flag's error: the same validation.
  auto flag = parse_command_line({"--workers", "0"}, env_of({}));
  BOOST_TEST(flag.error == "--workers: '0' is not a whole number from 1 to 32");
}

BOOST_AUTO_TEST_CASE(duplicate_cli_only_and_malformed_lines_are_problems) {
  auto parsed = parse_config_file(
      "workers = 2\nworkers = 3\ncheck-config = on\nconfig = /x\nhelp = on\nlist-routes = on\njust words\n"
      "allow-remote = yes\n",
      "f");
  BOOST_TEST(parsed.problems.size() == 7u, joined(parsed.problems));
  BOOST_TEST(parsed.problems.at(0) == "f:2: duplicate key \"workers\" (first on line 1)");
  BOOST_TEST(parsed.problems.at(1) == "f:3: \"check-config\" can only be given on the command line (--check-config)");
  BOOST_TEST(parsed.problems.at(2).starts_with("f:4: \"config\" can only be given on the command line"));
  BOOST_TEST(parsed.problems.at(3).starts_with("f:5: \"help\" can only be given"));
  BOOST_TEST(parsed.problems.at(4).starts_with("f:6: \"list-routes\" can only be given"));
  BOOST_TEST(parsed.problems.at(5) == "f:7: expected \"key = value\", got \"just words\"");
  BOOST_TEST(parsed.problems.at(6) == "f:8: allow-remote: 'yes' is not on or off");
  BOOST_TEST(parsed.entries.size() == 1u);
  BOOST_TEST(parsed.entries.at(0).value == "2");
}

BOOST_AUTO_TEST_CASE(precedence_is_flag_then_env_then_file_then_default) {
  const std::map<std::string, std::string> files{{"/c.conf", "workers = 3\nbatch-size = 5\nmax-queue = 7\n"}};
  auto cl = parse({"--config", "/c.conf", "--workers", "2"}, {{"DBGCOORD_WORKERS", "4"}, {"DBGCOORD_BATCH_SIZE", "6"}},
                  files);
  BOOST_TEST((cl.action == Action::run), cl.error);
  BOOST_TEST(cl.config.workers == 2u);     // flag over env and file
  BOOST_TEST(cl.config.batch_size == 6u);  // env over file
  BOOST_TEST(cl.config.max_queue == 7u);   // file over default
  BOOST_TEST(cl.config.max_connections == 256u);  // default
  // An empty variable counts as unset: the file's value stands.
  BOOST_TEST(parse({"--config=/c.conf"}, {{"DBGCOORD_BATCH_SIZE", ""}}, files).config.batch_size == 5u);
  // DBGCOORD_CONFIG names the file when --config does not; --config wins over it.
  BOOST_TEST(parse({}, {{"DBGCOORD_CONFIG", "/c.conf"}}, files).config.max_queue == 7u);
  auto both = parse({"--config", "/d.conf"}, {{"DBGCOORD_CONFIG", "/c.conf"}},
                    {{"/c.conf", "max-queue = 7\n"}, {"/d.conf", "max-queue = 8\n"}});
  BOOST_TEST(both.config.max_queue == 8u);
}

BOOST_AUTO_TEST_CASE(default_file_is_read_only_when_it_exists_and_a_named_one_must_exist) {
  auto none = parse({}, {}, {});
  BOOST_TEST((none.action == Action::run));
  BOOST_TEST(!none.config_file_read);
  auto missing = parse({"--config", "/nope.conf"}, {}, {});
  BOOST_TEST((missing.action == Action::usage_error));
  BOOST_TEST(missing.error == "/nope.conf: cannot read the config file: No such file or directory");
  auto from_env = parse({}, {{"DBGCOORD_CONFIG", "/nope.conf"}}, {});
  BOOST_TEST(from_env.error.find("(from DBGCOORD_CONFIG)") != std::string::npos, from_env.error);
  // The two-argument form reads no file at all.
  BOOST_TEST((parse_command_line({}, env_of({})).action == Action::run));
}

BOOST_AUTO_TEST_CASE(a_bad_file_refuses_the_start_and_check_config_lists_every_problem) {
  const std::map<std::string, std::string> files{{"/c.conf", "workers = 0\nlisen = x\n"}};
  auto run = parse({"--config", "/c.conf"}, {}, files);
  BOOST_TEST((run.action == Action::usage_error));
  BOOST_TEST(run.error ==
             "/c.conf:1: workers: '0' is not a whole number from 1 to 32 (and 1 more; dbgcoord --check-config lists them)");
  auto check = parse({"--check-config", "--config", "/c.conf"}, {}, files);
  BOOST_TEST((check.action == Action::check_config));
  BOOST_TEST(joined(check.problems) ==
             "/c.conf:1: workers: '0' is not a whole number from 1 to 32\n/c.conf:2: unknown key \"lisen\"\n");
  auto good = parse({"--check-config", "--config", "/g.conf"}, {}, {{"/g.conf", "workers = 2\n"}});
  BOOST_TEST((good.action == Action::check_config));
  BOOST_TEST(good.problems.empty());
  // A remote listen address from the file needs allow-remote, and the problem names the line.
  auto remote = parse({"--check-config", "--config", "/r.conf"}, {}, {{"/r.conf", "\nlisten = 0.0.0.0:7070\n"}});
  BOOST_TEST(remote.problems.size() == 1u);
  BOOST_TEST(remote.problems.at(0).starts_with("/r.conf:2: refusing to listen on 0.0.0.0:7070"), remote.problems.at(0));
  auto allowed = parse({"--config", "/r.conf"}, {}, {{"/r.conf", "listen = 0.0.0.0:7070\nallow-remote = on\n"}});
  BOOST_TEST((allowed.action == Action::run), allowed.error);
  BOOST_TEST(allowed.config.allow_remote);
}

BOOST_AUTO_TEST_CASE(shipped_config_file_is_the_generated_one_and_names_every_key) {
  std::ifstream in(std::string(DBG_SOURCE_DIR) + "/packaging/dbgcoord.conf");
  BOOST_REQUIRE(in);
  std::stringstream shipped;
  shipped << in.rdbuf();
  const std::string generated = dbg::coord::config_file_template();
  // Line by line the same, but where the package sets a key: there the template's "#KEY = DEFAULT"
  // is "KEY = VALUE". Regenerate with (docs/operations.md):
  //   packaging/gen_conf.sh build/bin/dbgcoord packaging/dbgcoord.conf.overlay > packaging/dbgcoord.conf
  std::istringstream shipped_lines(shipped.str()), generated_lines(generated);
  std::string shipped_line, generated_line;
  std::size_t set_keys = 0, line_no = 0;
  while (std::getline(generated_lines, generated_line)) {
    ++line_no;
    BOOST_REQUIRE_MESSAGE(std::getline(shipped_lines, shipped_line), "packaging/dbgcoord.conf ends at line " << line_no);
    if (shipped_line == generated_line) continue;
    const auto equals = generated_line.find(" = ");
    const bool set_by_package = generated_line.starts_with("#") && equals != std::string::npos &&
                                shipped_line.starts_with(generated_line.substr(1, equals - 1) + " = ");
    BOOST_TEST(set_by_package, "packaging/dbgcoord.conf is stale at line " << line_no << ": '" << shipped_line
                                                                           << "', --help-config: '" << generated_line
                                                                           << "'");
    set_keys += set_by_package;
  }
  BOOST_TEST(!std::getline(shipped_lines, shipped_line), "packaging/dbgcoord.conf has more lines than --help-config");
  BOOST_TEST(set_keys == 1u);  // crash-capture

  // The package's choice takes effect from the file, and the operator's edit of the file, the
  // environment and a flag each turn it off again (nothing in the unit sets it).
  const std::string text = shipped.str();
  auto packaged = parse({}, {}, {{"/etc/dbgcoord/dbgcoord.conf", text}});
  BOOST_TEST((packaged.action == Action::run), packaged.error);
  BOOST_TEST(packaged.config.crash_capture_host);
  std::string edited = text;
  const auto at = edited.find("\ncrash-capture = host");
  BOOST_REQUIRE(at != std::string::npos);
  edited.replace(at + 1, edited.find('\n', at + 1) - at - 1, "crash-capture = off");
  auto turned_off = parse({}, {}, {{"/etc/dbgcoord/dbgcoord.conf", edited}});
  BOOST_TEST((turned_off.action == Action::run), turned_off.error);
  BOOST_TEST(!turned_off.config.crash_capture_host);
  auto by_env = parse({}, {{"DBGCOORD_CRASH_CAPTURE", "off"}}, {{"/etc/dbgcoord/dbgcoord.conf", text}});
  BOOST_TEST(!by_env.config.crash_capture_host);
  auto by_flag = parse({"--crash-capture", "off"}, {}, {{"/etc/dbgcoord/dbgcoord.conf", text}});
  BOOST_TEST(!by_flag.config.crash_capture_host);

  std::size_t keys = 0;
  for (const auto& spec : dbg::coord::flag_table()) {
    if (!dbg::coord::settable_in_file(spec)) continue;
    ++keys;
    const std::string line = "\n#" + std::string(dbg::coord::file_key(spec)) + " = ";
    BOOST_TEST(generated.find(line) != std::string::npos, "no key line for " << spec.name);
  }
  BOOST_TEST(keys >= 28u);
  // Uncommented, every key line holding a concrete default is a valid file.
  std::string uncommented;
  std::istringstream lines(generated);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() < 2 || line[0] != '#' || line[1] == ' ') continue;
    const auto equals = line.find(" = ");
    const std::string value = line.substr(equals + 3);
    bool placeholder = false;
    for (const auto& spec : dbg::coord::flag_table()) placeholder |= !spec.value_name.empty() && value == spec.value_name;
    if (!placeholder) uncommented += line.substr(1) + "\n";
  }
  auto parsed = parse_config_file(uncommented, "template");
  BOOST_TEST(parsed.problems.empty(), joined(parsed.problems));
  BOOST_TEST(parsed.entries.size() >= 20u);
}
