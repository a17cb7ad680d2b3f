#include "coordinator/analysis/features.hpp"

#include <map>
#include <set>
#include <string_view>

namespace dbg::coord::analysis {

namespace {

const std::string* string_at(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return nullptr;
  return &it->get_ref<const std::string&>();
}

std::string str_or_empty(const nlohmann::json& obj, const char* key) {
  const std::string* s = string_at(obj, key);
  return s ? *s : std::string();
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Which kind of module a frame is in: the library frames on top of a stack say more about the
// kind of crash (libc's abort path, libstdc++'s terminate) than the program's own names.
std::string module_class(std::string_view module) {
  auto slash = module.rfind('/');
  std::string_view base = slash == std::string_view::npos ? module : module.substr(slash + 1);
  if (base.empty()) return "none";
  if (starts_with(base, "libc.so") || starts_with(base, "libc-")) return "libc";
  if (starts_with(base, "libstdc++")) return "libstdcxx";
  if (starts_with(base, "libgcc_s")) return "libgcc";
  if (starts_with(base, "ld-linux") || starts_with(base, "ld-")) return "ld";
  if (base.find("vdso") != std::string_view::npos) return "vdso";
  if (starts_with(base, "lib") && base.find(".so") != std::string_view::npos) return "lib";
  return "app";
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

std::vector<std::string> text_tokens(std::string_view text) {
  std::vector<std::string> out;
  std::set<std::string, std::less<>> seen;
  std::string cur;
  auto flush = [&] {
    if (cur.size() >= kMinToken && cur.size() <= kMaxToken && !seen.count(cur)) {
      seen.insert(cur);
      out.push_back(cur);
    }
    cur.clear();
  };
  for (char ch : text) {
    char c = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
    if (c >= 'a' && c <= 'z') {
      cur.push_back(c);
    } else if (!cur.empty()) {
      flush();
    }
  }
  if (!cur.empty()) flush();
  return out;
}

std::vector<std::string> extract_features(const nlohmann::json& event) {
  std::set<std::string> f;
  const nlohmann::json empty = nlohmann::json::object();
  const nlohmann::json& ev = event.is_object() ? event : empty;
  f.insert("src:" + str_or_empty(ev, "source"));
  f.insert("kind:" + str_or_empty(ev, "kind"));
  const std::string type = str_or_empty(ev, "type");
  const nlohmann::json* ctx = &empty;
  if (auto it = ev.find("context"); it != ev.end() && it->is_object()) ctx = &*it;

  std::string sig = str_or_empty(*ctx, "signal_name");
  std::string code = str_or_empty(*ctx, "code_name");
  if (starts_with(type, "SIG")) {
    auto slash = type.find('/');
    if (sig.empty()) sig = type.substr(0, slash);
    if (code.empty() && slash != std::string::npos) code = type.substr(slash + 1);
  }
  if (!sig.empty()) {
    f.insert("sig:" + sig);
    if (!code.empty()) f.insert("code:" + code);
    auto fault = ctx->find("fault");
    const std::string* fault_class = fault != ctx->end() ? string_at(*fault, "class") : nullptr;
    f.insert(fault_class ? "fault:" + *fault_class : std::string("fault:none"));
  } else {
    f.insert("type:" + lower_ascii(std::string_view(type).substr(0, type.find('/'))));
  }
  if (string_at(*ctx, "abort_message")) f.insert("abort_message");
  if (auto it = ctx->find("exception"); it != ctx->end() && it->is_object()) f.insert("exception");

  auto message_tokens = text_tokens(str_or_empty(ev, "message"));
  for (std::size_t i = 0; i < message_tokens.size() && i < kMaxMessageTokens; ++i) f.insert("msg:" + message_tokens[i]);

  const nlohmann::json* frames = nullptr;
  if (auto it = ev.find("frames"); it != ev.end() && it->is_array()) frames = &*it;
  if (!frames || frames->empty()) f.insert("frames:none");
  if (frames) {
    std::size_t i = 0;
    for (const auto& fr : *frames) {
      if (i == kTopFrames) break;
      const std::string mc = module_class(str_or_empty(fr, "module"));
      f.insert("mod:" + mc);
      if (i == 0) f.insert("top_mod:" + mc);
      const std::string fn = str_or_empty(fr, "function");
      if (fn.empty()) {
        f.insert("fn:?");
        if (i == 0) f.insert("top_fn:?");
      } else if (mc == "app") {
        // The program's own names are left out: they name this corpus's programs, not the
        // kind of bug, and would not carry over to anyone else's.
        if (i == 0) f.insert("top_fn:app");
      } else {
        for (const auto& t : text_tokens(fn)) {
          f.insert("fn:" + t);
          if (i == 0) f.insert("top:" + t);
        }
      }
      ++i;
    }
    std::map<std::string, int, std::less<>> counts;
    bool recursion = false;
    std::size_t j = 0;
    for (const auto& fr : *frames) {
      if (j++ == kMaxRecursionFrames) break;
      const std::string* fn = string_at(fr, "function");
      if (fn && !fn->empty() && ++counts[*fn] >= kRecursionMin) recursion = true;
    }
    if (recursion) f.insert("recursion");
  }

  if (auto it = ctx->find("threads"); it != ctx->end() && it->is_array()) {
    int lock_waiters = 0;
    for (const auto& t : *it) {
      if (!t.is_object()) continue;
      if (const std::string* st = string_at(t, "state"); st && !st->empty()) f.insert("tstate:" + *st);
      auto tf = t.find("frames");
      if (tf == t.end() || !tf->is_array()) continue;
      for (const auto& x : *tf) {
        const std::string* fn = string_at(x, "function");
        if (fn && (fn->find("lll_lock_wait") != std::string::npos || fn->find("pthread_mutex_lock") != std::string::npos)) {
          ++lock_waiters;
          break;
        }
      }
    }
    if (lock_waiters > 0) f.insert(lock_waiters >= 2 ? "lock_waiters:2+" : "lock_waiters:1");
  }
  return {f.begin(), f.end()};
}

std::uint64_t feature_hash(const std::vector<std::string>& features) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const auto& s : features) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 0x100000001b3ULL;
    }
    h ^= '\n';
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace dbg::coord::analysis
