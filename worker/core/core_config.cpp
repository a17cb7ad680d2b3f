// GCC 12 reports a false -Wmaybe-uninitialized inside libstdc++'s regex compiler under
// -fsanitize (see coordinator/procfs/process_match.cpp); silenced before <regex> is included.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "worker/core/core_config.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <nlohmann/json.hpp>

#include "dbg/protocol.hpp"
#include "dbg/unique_fd.hpp"

namespace dbg::worker::core {

namespace {

using nlohmann::json;

// The value of obj[key] when it is an integer in [lo, hi]; else `fallback`.
template <typename T>
T field(const json& obj, const char* key, T fallback, T lo, T hi) {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer()) return fallback;
  if (it->is_number_unsigned()) {
    const uint64_t v = it->get<uint64_t>();
    return v >= static_cast<uint64_t>(std::max<T>(lo, 0)) && v <= static_cast<uint64_t>(hi) ? static_cast<T>(v) : fallback;
  }
  const int64_t v = it->get<int64_t>();
  return v >= static_cast<int64_t>(lo) && v <= static_cast<int64_t>(hi) ? static_cast<T>(v) : fallback;
}

HandlerLimits parse_limits(const json& j) {
  HandlerLimits d;
  HandlerLimits l;
  l.time_limit_ms = field<int64_t>(j, "time_limit_ms", d.time_limit_ms, 1, 600000);
  l.max_concurrent = field<int>(j, "max_concurrent", d.max_concurrent, 0, 1024);
  l.spool_max_files = field<uint64_t>(j, "spool_max_files", d.spool_max_files, 0, 10000000);
  l.spool_max_bytes = field<uint64_t>(j, "spool_max_bytes", d.spool_max_bytes, 0, uint64_t{1} << 50);
  l.report_max_bytes = field<uint64_t>(j, "report_max_bytes", d.report_max_bytes, 4096, uint64_t{1} << 30);
  l.analysis_max_memory_bytes =
      field<uint64_t>(j, "analysis_max_memory_bytes", d.analysis_max_memory_bytes, uint64_t{1} << 20, uint64_t{1} << 48);
  return l;
}

WatchOptions parse_options(const json& j) {
  WatchOptions d;
  WatchOptions o;
  o.max_depth = field<int>(j, "max_depth", d.max_depth, 1, protocol::kMaxDepthLimit);
  o.max_variables = field<int>(j, "max_variables", d.max_variables, 0, 100);
  o.max_threads = field<int>(j, "max_threads", d.max_threads, 1, 100000);
  return o;
}

std::optional<std::regex> compile(const std::string& pattern) {
  if (pattern.empty() || pattern.size() > kMaxPatternLength) return std::nullopt;
  try {
    return std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error&) {
    return std::nullopt;
  }
}

std::optional<CoreWatch> parse_watch(const json& j) {
  if (!j.is_object()) return std::nullopt;
  auto id = j.find("id");
  if (id == j.end() || !id->is_string() || id->get_ref<const std::string&>().empty()) return std::nullopt;
  CoreWatch w;
  w.id = id->get<std::string>();
  if (auto all = j.find("all"); all != j.end() && all->is_boolean()) w.all = all->get<bool>();
  if (auto match = j.find("match"); match != j.end() && match->is_string()) {
    w.match = match->get<std::string>();
    w.regex = compile(w.match);
  }
  if (auto options = j.find("options"); options != j.end()) w.options = parse_options(*options);
  return w;
}

}  // namespace

Result<HandlerConfig> parse_handler_config(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Error{"bad_config", "handler.json is not a JSON object"};
  if (auto v = j.find("v"); v != j.end() && !(v->is_number_integer() && v->get<int64_t>() == 1))
    return Error{"bad_config", "handler.json is of another version: " + v->dump()};
  HandlerConfig config;
  if (auto previous = j.find("previous"); previous != j.end() && previous->is_object()) {
    if (auto pattern = previous->find("core_pattern"); pattern != previous->end() && pattern->is_string())
      config.previous_core_pattern = pattern->get<std::string>();
  }
  if (auto watches = j.find("watches"); watches != j.end() && watches->is_array()) {
    for (const auto& w : *watches) {
      if (auto parsed = parse_watch(w)) config.watches.push_back(std::move(*parsed));
    }
  }
  if (auto limits = j.find("limits"); limits != j.end()) config.limits = parse_limits(*limits);
  return config;
}

std::optional<std::string> read_small_file(const std::string& path, size_t limit) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return std::nullopt;
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) return out;
    if (out.size() + static_cast<size_t>(n) > limit) return std::nullopt;
    out.append(buf, static_cast<size_t>(n));
  }
}

Result<HandlerConfig> load_handler_config(const std::string& crash_dir) {
  auto text = read_small_file(crash_dir + "/handler.json", kMaxHandlerJsonBytes);
  if (!text) return Error{"bad_config", "cannot read " + crash_dir + "/handler.json"};
  return parse_handler_config(*text);
}

std::optional<std::string> load_previous_core_pattern(const std::string& crash_dir) {
  auto text = read_small_file(crash_dir + "/previous_core_pattern", kMaxCorePatternBytes + 1);
  if (!text) return std::nullopt;
  if (!text->empty() && text->back() == '\n') text->pop_back();
  return text;
}

}  // namespace dbg::worker::core
