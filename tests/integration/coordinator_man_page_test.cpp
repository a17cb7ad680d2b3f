#define BOOST_TEST_MODULE coordinator_man_page
#include <boost/test/unit_test.hpp>
// The man page the build generates (dbgcoord --help-man -> build/man/man1/dbgcoord.1): man-db
// renders it without a single groff warning, and every flag of the table appears in it.
#include <fstream>

#include "coordinator/config.hpp"
#include "coordinator/config_flags.hpp"
#include "test_support.hpp"

using dbg::test::run_command;

namespace {

// man's text output without overstrikes ("a\ba" bold, "_\ba" underline) and SGR sequences.
std::string plain(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\b') {
      if (!out.empty()) out.pop_back();
      continue;
    }
    if (text[i] == '\x1b') {
      while (i < text.size() && text[i] != 'm') ++i;
      continue;
    }
    out += text[i];
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(man_page_renders_without_warnings) {
  BOOST_REQUIRE(std::filesystem::exists(DBG_MAN_PAGE));
  // lintian's check: man with groff's warnings on, output thrown away, stderr must stay empty.
  auto result = run_command({"env", "LC_ALL=C.UTF-8", "MANROFFSEQ=", "MANWIDTH=80", "man", "--warnings", "-E", "UTF-8",
                             "-l", "-Tutf8", "-Z", DBG_MAN_PAGE});
  BOOST_TEST(result.exit_code == 0);
  BOOST_TEST(result.err.empty(), result.err);
  auto groff = run_command({"groff", "-man", "-Tutf8", "-ww", "-z", DBG_MAN_PAGE});
  BOOST_TEST(groff.exit_code == 0);
  BOOST_TEST(groff.err.empty(), groff.err);
}

BOOST_AUTO_TEST_CASE(man_page_has_every_flag_and_its_environment_variable) {
  auto result = run_command({"env", "LC_ALL=C.UTF-8", "MANWIDTH=200", "man", "-E", "ascii", "-l", DBG_MAN_PAGE});
  BOOST_REQUIRE(result.exit_code == 0);
  const std::string text = plain(result.out);
  BOOST_TEST(text.find("dbgcoord - multi-process debug coordinator") != std::string::npos, text.substr(0, 400));
  for (const auto& spec : dbg::coord::flag_table()) {
    BOOST_TEST(text.find(std::string(spec.name)) != std::string::npos, "man page lacks " << spec.name);
    if (!spec.env.empty()) {
      BOOST_TEST(text.find(std::string(spec.env)) != std::string::npos, "man page lacks " << spec.env);
    }
  }
  for (const char* section : {"SYNOPSIS", "OPTIONS", "CONFIGURATION FILE", "FILES", "EXIT STATUS"}) {
    BOOST_TEST(text.find(section) != std::string::npos, section);
  }
}

BOOST_AUTO_TEST_CASE(man_page_is_the_one_the_table_generates) {
  std::ifstream in(DBG_MAN_PAGE);
  std::string built((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  BOOST_TEST((built == dbg::coord::man_page()));
  // The paragraphs are --help's: the same words, no second copy.
  const std::string help = dbg::coord::help_text();
  for (const auto& spec : dbg::coord::flag_table()) {
    const std::string first_words(spec.help.substr(0, spec.help.find(' ', 12)));
    BOOST_TEST(help.find(first_words) != std::string::npos, spec.name);
  }
}
