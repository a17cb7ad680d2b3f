// core_pattern expansion (worker/core/core_pattern_expand.hpp): every specifier, "%%", unknown
// and trailing '%', the kernel's split-before-expand for pipes (with its quirks, seen on this
// kernel with a probe helper: "a%qb %  x" gave the arguments "ab", "", "x"), the path-component
// escaping of %h %e %E %f, %F in pipes only, core_uses_pid, and recognising our own handler.
#define BOOST_TEST_MODULE worker_core_pattern_expand
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "worker/core/core_pattern_expand.hpp"

using namespace dbg::worker::core;

namespace {

CrashArgs sample_args() {
  CrashArgs a;
  a.crash_dir = "/var/lib/dbgcoord/crash";
  a.pid = 4242;
  a.ns_tid = 17;
  a.tid = 4243;
  a.signal = 11;
  a.core_limit = UINT64_MAX;
  a.dump_mode = 1;
  a.time_s = 1700000000;
  a.uid = 1000;
  a.gid = 1001;
  a.ns_pid = 7;
  a.hostname = "host.example";
  a.comm = "my prog";
  a.exe_bang = "!usr!bin!my prog";
  return a;
}

SpecifierFacts sample_facts() {
  SpecifierFacts f;
  f.exe_path = "/usr/bin/my prog";
  f.cpu = "1";
  f.pidfd = "3";
  return f;
}

std::vector<std::string> pipe_argv(const std::string& body, const CrashArgs& a = sample_args(),
                                   const SpecifierFacts& f = sample_facts()) {
  return expand_pipe_pattern(body, a, f).argv;
}

std::string file_path(const std::string& pattern, bool core_uses_pid = false, const CrashArgs& a = sample_args(),
                      const SpecifierFacts& f = sample_facts()) {
  return expand_file_pattern(pattern, a, f, core_uses_pid);
}

using Argv = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_CASE(file_pattern_expands_every_specifier) {
  BOOST_TEST(file_path("/c/%p-%P-%i-%I-%u-%g-%d-%s-%t-%h-%e-%E-%f-%c-%C-%F-%%") ==
             "/c/7-4242-17-4243-1000-1001-1-11-1700000000-host.example-my prog-!usr!bin!my prog-my prog-"
             "18446744073709551615-1--%");
}

BOOST_AUTO_TEST_CASE(core_limit_prints_as_the_kernel_prints_it) {
  CrashArgs a = sample_args();
  a.core_limit = 0;
  BOOST_TEST(file_path("core.%c", false, a) == "core.0");
  a.core_limit = 1048576;
  BOOST_TEST(file_path("core.%c", false, a) == "core.1048576");
}

BOOST_AUTO_TEST_CASE(unknown_specifiers_expand_to_nothing_and_a_trailing_percent_is_dropped) {
  BOOST_TEST(file_path("core.%q%z.%Y.%1") == "core...");
  BOOST_TEST(file_path("core%") == "core");
  BOOST_TEST(file_path("core%%%") == "core%");
  BOOST_TEST(file_path("%%p") == "%p");
  BOOST_TEST(file_path("%") == "");
  BOOST_TEST((pipe_argv("/bin/h x%") == Argv{"/bin/h", "x"}));
  BOOST_TEST((pipe_argv("/bin/h 100%%") == Argv{"/bin/h", "100%"}));
}

BOOST_AUTO_TEST_CASE(pipe_pattern_splits_before_expanding) {
  // comm and exe contain a space: each stays one argument.
  BOOST_TEST((pipe_argv("/bin/h %e %E x") == Argv{"/bin/h", "my prog", "!usr!bin!my prog", "x"}));
  BOOST_TEST((pipe_argv("/bin/h %P %p %i %I %s %c %d %t %u %g %h %f %C") ==
              Argv{"/bin/h", "4242", "7", "17", "4243", "11", "18446744073709551615", "1", "1700000000", "1000", "1001",
                   "host.example", "my prog", "1"}));
}

BOOST_AUTO_TEST_CASE(pipe_pattern_white_space_rules) {
  BOOST_TEST((pipe_argv("  /bin/h   a\t\tb ") == Argv{"/bin/h", "a", "b"}));
  BOOST_TEST((pipe_argv("/bin/h a\nb\rc\fd\ve") == Argv{"/bin/h", "a", "b", "c", "d", "e"}));
  // The kernel's isspace() includes 0xA0 (lib/ctype.c).
  BOOST_TEST((pipe_argv("/bin/h a\xA0" "b") == Argv{"/bin/h", "a", "b"}));
  // "% " is a specifier: the space is consumed and breaks nothing.
  BOOST_TEST((pipe_argv("/bin/h a%qb %  x") == Argv{"/bin/h", "ab", "", "x"}));
  // A token that expands to nothing is still an argument, except before any output at all.
  BOOST_TEST((pipe_argv("/x %q y") == Argv{"/x", "", "y"}));
  BOOST_TEST((pipe_argv("%q /bin/h a") == Argv{"/bin/h", "a"}));
  BOOST_TEST((pipe_argv("") == Argv{""}));
}

BOOST_AUTO_TEST_CASE(pidfd_specifier_only_in_pipes) {
  auto with = expand_pipe_pattern("/bin/h %F", sample_args(), sample_facts());
  BOOST_TEST(with.uses_pidfd);
  BOOST_TEST((with.argv == Argv{"/bin/h", "3"}));
  SpecifierFacts none = sample_facts();
  none.pidfd.clear();
  auto dropped = expand_pipe_pattern("/bin/h %F x", sample_args(), none);
  BOOST_TEST(dropped.uses_pidfd);
  BOOST_TEST((dropped.argv == Argv{"/bin/h", "", "x"}));
  BOOST_TEST(!expand_pipe_pattern("/bin/h %%F", sample_args(), sample_facts()).uses_pidfd);
  BOOST_TEST(file_path("core.%F") == "core.");
}

BOOST_AUTO_TEST_CASE(path_specifiers_are_escaped_as_components) {
  BOOST_TEST(escape_component("a/b/c") == "a!b!c");
  BOOST_TEST(escape_component(".") == "!");
  BOOST_TEST(escape_component("..") == "!.");
  BOOST_TEST(escape_component("") == "!");
  BOOST_TEST(escape_component("...") == "...");
  BOOST_TEST(escape_component("!") == "!");

  CrashArgs a = sample_args();
  a.comm = "..";
  a.hostname = "x/y";
  a.exe_bang = "";
  SpecifierFacts f = sample_facts();
  f.exe_path = "/opt/.";
  BOOST_TEST(file_path("/c/%e/%h/%E/%f", false, a, f) == "/c/!./x!y/!/!");
  BOOST_TEST((pipe_argv("/bin/h %e %h", a, f) == Argv{"/bin/h", "!.", "x!y"}));
}

BOOST_AUTO_TEST_CASE(exe_name_falls_back_to_the_exe_argument) {
  SpecifierFacts f = sample_facts();
  f.exe_path.clear();
  BOOST_TEST(file_path("%f", false, sample_args(), f) == "my prog");
  CrashArgs unknown = sample_args();
  unknown.exe_bang = "my prog (path unknown)";  // the kernel's text when the process has no exe
  BOOST_TEST(file_path("%f", false, unknown, f) == "my prog (path unknown)");
  f.exe_path = "/usr/bin/my prog (deleted)";  // as readlink and the kernel's d_path say it
  BOOST_TEST(file_path("%f", false, sample_args(), f) == "my prog (deleted)");
}

BOOST_AUTO_TEST_CASE(core_uses_pid_appends_the_pid_unless_the_pattern_has_it) {
  BOOST_TEST(file_path("core", true) == "core.7");
  BOOST_TEST(file_path("core", false) == "core");
  BOOST_TEST(file_path("core.%p", true) == "core.7");
  BOOST_TEST(file_path("core.%P", true) == "core.4242.7");  // %P is not %p
  BOOST_TEST(file_path("core%", true) == "core.7");         // appended after a dropped '%' too
}

BOOST_AUTO_TEST_CASE(pattern_kinds_and_newlines) {
  BOOST_TEST(normalize_pattern("core\n") == "core");
  BOOST_TEST(normalize_pattern("|/bin/h %p\nrest") == "|/bin/h %p");
  BOOST_TEST((pattern_kind("") == PatternKind::none));
  BOOST_TEST((pattern_kind("|/bin/h") == PatternKind::pipe));
  BOOST_TEST((pattern_kind("@/run/coredump.socket") == PatternKind::socket));
  BOOST_TEST((pattern_kind("@@/run/coredump.socket") == PatternKind::socket));
  BOOST_TEST((pattern_kind("core") == PatternKind::file));
  BOOST_TEST((pattern_kind("/var/crash/core.%p") == PatternKind::file));
}

BOOST_AUTO_TEST_CASE(own_handler_is_recognised) {
  BOOST_TEST(is_own_handler("|/usr/lib/dbgcoord/dbg-worker core /var/lib/dbgcoord/crash %P %i %I %s %c %d %t %u %g %p %h %e %E"));
  BOOST_TEST(is_own_handler("|  /opt/bin/dbg-worker\tcore /x"));
  BOOST_TEST(is_own_handler("|dbg-worker core /x"));
  BOOST_TEST(!is_own_handler("|/usr/lib/dbgcoord/dbg-worker serve"));
  BOOST_TEST(!is_own_handler("|/usr/lib/dbgcoord/not-dbg-worker core /x"));
  BOOST_TEST(!is_own_handler("|/lib/systemd/systemd-coredump %P %u %g %s %t %c %h"));
  BOOST_TEST(!is_own_handler("/tmp/dbg-worker core"));
  BOOST_TEST(!is_own_handler("|/usr/lib/dbgcoord/dbg-worker"));
}
