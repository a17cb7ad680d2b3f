#include "coordinator/errors/function_name.hpp"

#include <array>

#include "dbg/utf8.hpp"

namespace dbg::coord::errors {

namespace {

bool is_ident(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
}

bool starts_with(std::string_view s, std::size_t at, std::string_view prefix) {
  return at <= s.size() && s.substr(at).starts_with(prefix);
}

// Index just past the bracket group opening at s[open] ("(", "<", "[" or "{"); s.size() when it
// is never closed (a cut or malformed name: the rest is the group). Inside a template argument
// list, parentheses hide '<' and '>' ("f<(1>2)>"); elsewhere only the group's own bracket counts.
std::size_t skip_group(std::string_view s, std::size_t open) {
  const char opener = s[open];
  const char closer = opener == '(' ? ')' : opener == '<' ? '>' : opener == '[' ? ']' : '}';
  int depth = 0;
  int parens = 0;
  for (std::size_t i = open; i < s.size(); ++i) {
    const char c = s[i];
    if (opener == '<') {
      if (c == '(') ++parens;
      if (c == ')' && parens > 0) --parens;
      if (parens > 0) continue;
      // "->" inside a template argument (decltype(a->b) aside) is not a closing bracket.
      if (c == '>' && i > 0 && s[i - 1] == '-') continue;
    }
    if (c == opener) ++depth;
    if (c == closer && --depth == 0) return i + 1;
  }
  return s.size();
}

// C++ operator tokens, longest first so that "<<=" wins over "<<" and "<".
constexpr std::string_view kOperatorTokens[] = {
    "<=>", "<<=", ">>=", "->*", "()", "[]", "->", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "++", "--",
    "+=",  "-=",  "*=",  "/=",  "%=", "&=", "|=", "^=", ",",  "+",  "-",  "*",  "/",  "%",  "^",  "&",
    "|",   "~",   "!",   "=",   "<",  ">",  "\"\"", "co_await"};

bool at_operator_keyword(std::string_view s, std::size_t i) {
  constexpr std::string_view kKeyword = "operator";
  if (!starts_with(s, i, kKeyword)) return false;
  if (i > 0 && is_ident(s[i - 1])) return false;  // "my_operator"
  const std::size_t after = i + kKeyword.size();
  return after == s.size() || !is_ident(s[after]);  // "operators"
}

std::size_t skip_spaces(std::string_view s, std::size_t i) {
  while (i < s.size() && s[i] == ' ') ++i;
  return i;
}

// Copies "operator<token>" starting at s[i] (at_operator_keyword is true) into out; returns the
// index after it. Without this, "operator<" would open a template list and "operator()" would
// look like a parameter list.
std::size_t copy_operator(std::string_view s, std::size_t i, std::string& out) {
  out += "operator";
  std::size_t j = skip_spaces(s, i + 8);
  if (j >= s.size()) return j;
  for (auto word : {std::string_view("new"), std::string_view("delete")}) {
    if (starts_with(s, j, word) && (j + word.size() == s.size() || !is_ident(s[j + word.size()]))) {
      out += ' ';
      out += word;
      j = skip_spaces(s, j + word.size());
      if (starts_with(s, j, "[]")) {
        out += "[]";
        j += 2;
      }
      return j;
    }
  }
  for (auto token : kOperatorTokens) {
    if (starts_with(s, j, token)) {
      out += token;
      j += token.size();
      if (token == "\"\"") {  // a literal operator: operator"" _suffix
        j = skip_spaces(s, j);
        while (j < s.size() && is_ident(s[j])) out += s[j++];
      }
      return j;
    }
  }
  // A conversion operator: "operator unsigned long", "operator std::vector<int>*": the target
  // type is the name, up to the parameter list.
  out += ' ';
  while (j < s.size() && s[j] != '(') {
    if (s[j] == '<') {
      out += "<T>";
      j = skip_group(s, j);
    } else if (s[j] == ' ') {
      j = skip_spaces(s, j);
      if (j < s.size() && s[j] != '(' && out.back() != ' ') out += ' ';
    } else {
      out += s[j++];
    }
  }
  return j;
}

// Copies a "{lambda(int)#1}" / "{unnamed type#1}" group as "{lambda#1}" / "{unnamed type#1}":
// the lambda's parameters are its signature, not its identity.
std::size_t copy_brace_group(std::string_view s, std::size_t i, std::string& out) {
  int depth = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '(') {
      i = skip_group(s, i);
      continue;
    }
    if (c == '<') {
      out += "<T>";
      i = skip_group(s, i);
      continue;
    }
    out += c;
    ++i;
    if (c == '{') ++depth;
    if (c == '}' && --depth == 0) break;
  }
  return i;
}

// GCC's clone suffixes on plain (C, or not demangled) symbols: "f.part.0", "f.isra.0",
// "f.constprop.0", "f.cold", "f.lto_priv.0"; clang's "f.llvm.123". The clone is the same source
// function. Other dots (a Python or Java frame reported through the API: "pkg.mod.f") are kept.
bool at_clone_suffix(std::string_view s, std::size_t i) {
  static constexpr std::array<std::string_view, 8> kSuffixes = {"part", "isra", "constprop", "cold", "lto_priv",
                                                                "localalias", "llvm", "clone"};
  for (auto suffix : kSuffixes) {
    const std::size_t end = i + 1 + suffix.size();
    if (starts_with(s, i + 1, suffix) && (end == s.size() || s[end] == '.')) return true;
  }
  return false;
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
}

std::string trimmed(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

}  // namespace

std::string normalize_function(std::string_view demangled) {
  const std::string input = trimmed(demangled.substr(0, kMaxFunctionInput));
  const std::string_view s = input;
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == 'o' && at_operator_keyword(s, i)) {
      i = copy_operator(s, i, out);
    } else if (c == '<') {
      out += "<T>";
      i = skip_group(s, i);
    } else if (c == '(') {
      constexpr std::string_view kAnonymous = "(anonymous namespace)";
      if (starts_with(s, i, kAnonymous)) {
        out += kAnonymous;
        i += kAnonymous.size();
        continue;
      }
      i = skip_group(s, i);  // the parameter list
      // After it come qualifiers and clone tags (" const", " &&", " [clone .cold]"), unless the
      // name goes on: "f(int)::Local::run" names a member of a class local to f.
      if (!starts_with(s, i, "::")) break;
    } else if (c == '{') {
      i = copy_brace_group(s, i, out);
    } else if (c == '[') {
      i = skip_group(s, i);  // "[abi:cxx11]"
    } else if (c == '.' && at_clone_suffix(s, i)) {
      while (i < s.size() && (is_ident(s[i]) || s[i] == '.')) ++i;
    } else if (c == ' ' || c == '\t') {
      // A space outside any bracket, before the parameter list, ends a return type ("void",
      // "char const*", "std::vector<T>"): the name starts after it.
      out.clear();
      ++i;
    } else {
      out += c;
      ++i;
    }
  }
  // libstdc++'s and libc++'s inline namespaces differ between builds of the same code.
  replace_all(out, "std::__cxx11::", "std::");
  replace_all(out, "std::__1::", "std::");
  if (out.empty()) out = input;  // nothing parseable ("(*)(int)"): the text itself, bounded
  utf8_cut_bytes(out, kMaxNormalizedFunction);
  return out;
}

}  // namespace dbg::coord::errors
