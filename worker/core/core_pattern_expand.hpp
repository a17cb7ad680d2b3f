#pragma once
// The kernel's reading of a core_pattern (fs/coredump.c, coredump_parse), redone in user space so
// that the handler can hand a core on exactly as the kernel would have without us: which kind of
// pattern it is, and what each specifier expands to. Pure functions over values the caller
// gathered (CrashArgs plus the few facts only /proc has), so every rule is testable alone.
//
// The kernel's rules, kept here:
// - "|prog args": split on white space (the kernel's isspace(), which includes 0xA0) *before*
//   expanding, so a comm with spaces stays one argument; white space before the first byte of
//   output is skipped, runs of it make one break, and a token that expands to nothing is still
//   an (empty) argument. "% " consumes the space: it expands to nothing and breaks nothing.
// - "%%" is '%', a '%' at the very end is dropped, an unknown specifier expands to nothing.
// - %h %e %E %f are escaped as a path component: '/' becomes '!', "." and ".." get '!' for their
//   first byte, an empty value becomes "!" (so no expansion can add a directory level).
// - %F is a pidfd number only in a pipe pattern ("3": the descriptor the helper inherits); in a
//   file pattern it expands to nothing.
// - A file pattern without %p gets ".<%p>" appended when core_uses_pid is 1.
#include <string>
#include <string_view>
#include <vector>

#include "worker/core/core_args.hpp"

namespace dbg::worker::core {

enum class PatternKind {
  none,    // empty: nothing to hand on
  pipe,    // "|prog args…"
  file,    // a path, relative to the crasher's cwd unless it starts with '/'
  socket,  // "@/path" or "@@/path" (6.16+): a coredump socket server
};

// The value as the kernel holds it: proc_dostring stops at the first newline, so a pattern read
// back from /proc (or saved with its trailing "\n") is cut there.
std::string_view normalize_pattern(std::string_view pattern);
PatternKind pattern_kind(std::string_view normalized);

// True for a pipe pattern whose program is a dbg-worker run as "core": our own handler, which
// must never be chained to (it would recurse).
bool is_own_handler(std::string_view normalized);

// The kernel's escaping of an expanded path component (see above).
std::string escape_component(std::string_view value);

// What the specifiers expand to, beyond CrashArgs: facts only /proc (or the chain) knows.
struct SpecifierFacts {
  std::string exe_path;  // %f: readlink /proc/PID/exe; empty when unreadable (then from %E)
  std::string cpu;       // %C: the CPU the crashing thread last ran on; empty when unknown
  std::string pidfd;     // %F in a pipe pattern: "3" when a pidfd will be passed, else empty
};

struct PipeCommand {
  std::vector<std::string> argv;  // argv[0] is the program, as the kernel passes it
  bool uses_pidfd = false;        // the pattern has %F: the helper expects a pidfd
};

// `body` is the pattern after its '|'.
PipeCommand expand_pipe_pattern(std::string_view body, const CrashArgs& args, const SpecifierFacts& facts);
// The core file's path, with core_uses_pid applied.
std::string expand_file_pattern(std::string_view pattern, const CrashArgs& args, const SpecifierFacts& facts,
                                bool core_uses_pid);

}  // namespace dbg::worker::core
