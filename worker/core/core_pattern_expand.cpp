#include "worker/core/core_pattern_expand.hpp"

namespace dbg::worker::core {

namespace {

// The kernel's isspace() (lib/ctype.c): the C locale's six plus 0xA0, which its Latin-1 table
// also marks as space.
bool kernel_isspace(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u == ' ' || (u >= '\t' && u <= '\r') || u == 0xA0;
}

std::string basename_of(std::string_view path) {
  const size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// %f: the executable's file name. From /proc/PID/exe when it was readable; otherwise from %E,
// whose '!' were '/', so its last component is the name (the kernel's own "comm (path unknown)"
// has no '!' and is taken whole, as the kernel does for both %E and %f).
std::string exe_name(const CrashArgs& args, const SpecifierFacts& facts) {
  if (!facts.exe_path.empty()) return basename_of(facts.exe_path);
  const size_t bang = args.exe_bang.rfind('!');
  return bang == std::string::npos ? args.exe_bang : args.exe_bang.substr(bang + 1);
}

enum class Target { file, pipe };

struct Expanded {
  std::vector<std::string> tokens;
  bool pid_in_pattern = false;
  bool uses_pidfd = false;
};

// One pass over the pattern, as the kernel's loop makes it: in a pipe pattern white space outside
// a specifier ends the current token (only once some output exists).
Expanded expand(std::string_view body, Target target, const CrashArgs& args, const SpecifierFacts& facts) {
  Expanded out;
  std::string current;
  bool pending_break = false;
  size_t i = 0;
  while (i < body.size()) {
    const char c = body[i];
    if (target == Target::pipe) {
      if (kernel_isspace(c)) {
        // The kernel's test is "any output yet", separators included: white space before the
        // first output byte is skipped, even after a specifier that expanded to nothing.
        if (!out.tokens.empty() || !current.empty()) pending_break = true;
        ++i;
        continue;
      }
      if (pending_break) {
        pending_break = false;
        out.tokens.push_back(std::move(current));
        current.clear();
      }
    }
    if (c != '%') {
      current.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 == body.size()) break;  // a single '%' at the end is dropped
    const char spec = body[i + 1];
    i += 2;
    std::string value;
    switch (spec) {
      case '%': value = "%"; break;
      case 'p':
        out.pid_in_pattern = true;
        value = args.value_of('p');
        break;
      case 'P': case 'i': case 'I': case 'u': case 'g': case 'd': case 's': case 't': case 'c':
        value = args.value_of(spec);
        break;
      case 'h': value = escape_component(args.hostname); break;
      case 'e': value = escape_component(args.comm); break;
      case 'E': value = escape_component(args.exe_bang); break;
      case 'f': value = escape_component(exe_name(args, facts)); break;
      case 'C': value = facts.cpu; break;
      case 'F':
        // Only a helper process can inherit a pidfd; in a file name %F is nothing.
        if (target == Target::pipe) {
          out.uses_pidfd = true;
          value = facts.pidfd;
        }
        break;
      default: break;  // unknown: nothing, as in the kernel
    }
    current += value;
  }
  out.tokens.push_back(std::move(current));
  return out;
}

}  // namespace

std::string_view normalize_pattern(std::string_view pattern) {
  const size_t nl = pattern.find('\n');
  return nl == std::string_view::npos ? pattern : pattern.substr(0, nl);
}

PatternKind pattern_kind(std::string_view normalized) {
  if (normalized.empty()) return PatternKind::none;
  if (normalized[0] == '|') return PatternKind::pipe;
  if (normalized[0] == '@') return PatternKind::socket;
  return PatternKind::file;
}

bool is_own_handler(std::string_view normalized) {
  if (pattern_kind(normalized) != PatternKind::pipe) return false;
  // Split the raw pattern as the kernel would; our own pattern has no specifier in its first two
  // tokens (docs/crash-capture.md).
  std::vector<std::string_view> tokens;
  std::string_view rest = normalized.substr(1);
  while (tokens.size() < 2) {
    size_t b = 0;
    while (b < rest.size() && kernel_isspace(rest[b])) ++b;
    if (b == rest.size()) break;
    size_t e = b;
    while (e < rest.size() && !kernel_isspace(rest[e])) ++e;
    tokens.push_back(rest.substr(b, e - b));
    rest = rest.substr(e);
  }
  return tokens.size() == 2 && basename_of(tokens[0]) == "dbg-worker" && tokens[1] == "core";
}

std::string escape_component(std::string_view value) {
  std::string out(value);
  if (out == "." || out == "..") out[0] = '!';
  if (out.empty()) out = "!";
  for (char& c : out)
    if (c == '/') c = '!';
  return out;
}

PipeCommand expand_pipe_pattern(std::string_view body, const CrashArgs& args, const SpecifierFacts& facts) {
  Expanded e = expand(body, Target::pipe, args, facts);
  return PipeCommand{std::move(e.tokens), e.uses_pidfd};
}

std::string expand_file_pattern(std::string_view pattern, const CrashArgs& args, const SpecifierFacts& facts,
                                bool core_uses_pid) {
  Expanded e = expand(pattern, Target::file, args, facts);
  std::string path = std::move(e.tokens.front());
  if (core_uses_pid && !e.pid_in_pattern) path += "." + args.value_of('p');
  return path;
}

}  // namespace dbg::worker::core
