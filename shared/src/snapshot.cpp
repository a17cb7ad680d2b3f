// JSON (de)serialization of the snapshot model. Addresses travel as "0x…" strings because
// JSON numbers lose precision above 2^53 in JavaScript clients (the dashboard).
#include "dbg/snapshot.hpp"

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace dbg {

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

namespace {

uint64_t parse_hex(const nlohmann::json& j) {
  const auto& s = j.get_ref<const std::string&>();
  return std::strtoull(s.c_str(), nullptr, 16);
}

template <typename T>
nlohmann::json optional_json(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

template <typename T>
std::optional<T> optional_from(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return it->get<T>();
}

}  // namespace

void to_json(nlohmann::json& j, const Error& e) { j = {{"code", e.code}, {"message", e.message}}; }
void from_json(const nlohmann::json& j, Error& e) {
  e.code = j.at("code").get<std::string>();
  e.message = j.value("message", "");
}

void to_json(nlohmann::json& j, const Frame& f) {
  j = {{"pc", hex(f.pc)},         {"function", optional_json(f.function)},
       {"module", f.module},      {"offset", hex(f.offset)},
       {"file", optional_json(f.file)}, {"line", optional_json(f.line)},
       {"inlined", f.inlined}};
}

void from_json(const nlohmann::json& j, Frame& f) {
  f.pc = parse_hex(j.at("pc"));
  f.function = optional_from<std::string>(j, "function");
  f.module = j.value("module", "?");
  f.offset = parse_hex(j.at("offset"));
  f.file = optional_from<std::string>(j, "file");
  f.line = optional_from<int>(j, "line");
  f.inlined = j.value("inlined", false);
}

void to_json(nlohmann::json& j, const ThreadWait& w) {
  j = {{"syscall", w.syscall}, {"addr", hex(w.addr)}, {"op", w.op}, {"mutex_owner", optional_json(w.mutex_owner)}};
}

void from_json(const nlohmann::json& j, ThreadWait& w) {
  w.syscall = j.value("syscall", std::string("futex"));
  w.addr = parse_hex(j.at("addr"));
  w.op = j.value("op", 0);
  w.mutex_owner = optional_from<int>(j, "mutex_owner");
}

void to_json(nlohmann::json& j, const ThreadStack& t) {
  j = {{"tid", t.tid},
       {"name", t.name},
       {"state", std::string(1, t.state)},
       {"pause_us", t.pause_us},
       {"error", t.error ? nlohmann::json(*t.error) : nlohmann::json(nullptr)},
       {"truncated", optional_json(t.truncated)},
       {"frames", t.frames}};
  // Absent rather than null: most threads wait on nothing, and snapshots stay as they were.
  if (t.wait) j["wait"] = *t.wait;
}

void from_json(const nlohmann::json& j, ThreadStack& t) {
  t.tid = j.at("tid").get<int>();
  t.name = j.value("name", "");
  auto state = j.value("state", std::string("?"));
  t.state = state.empty() ? '?' : state[0];
  t.pause_us = j.value("pause_us", 0.0);
  t.error = optional_from<Error>(j, "error");
  t.truncated = optional_from<std::string>(j, "truncated");
  t.frames = j.value("frames", std::vector<Frame>{});
  t.wait = optional_from<ThreadWait>(j, "wait");
}

void to_json(nlohmann::json& j, const Snapshot& s) {
  j = {{"pid", s.pid},
       {"comm", s.comm},
       {"consistency", s.consistency},
       {"threads", s.threads},
       {"capture_us", s.capture_us},
       {"unwind_us", s.unwind_us},
       {"capture_sched", s.capture_sched},
       {"cache",
        {{"module_hits", s.cache.module_hits},
         {"module_misses", s.cache.module_misses},
         {"symbol_hits", s.cache.symbol_hits},
         {"symbol_misses", s.cache.symbol_misses}}}};
  if (!s.capture_sched_reason.empty()) j["capture_sched_reason"] = s.capture_sched_reason;
}

void from_json(const nlohmann::json& j, Snapshot& s) {
  s.pid = j.at("pid").get<int>();
  s.comm = j.value("comm", "");
  s.consistency = j.value("consistency", "thread");
  s.threads = j.at("threads").get<std::vector<ThreadStack>>();
  s.capture_us = j.value("capture_us", 0.0);
  s.unwind_us = j.value("unwind_us", 0.0);
  s.capture_sched = j.value("capture_sched", "normal");
  s.capture_sched_reason = j.value("capture_sched_reason", "");
  if (auto it = j.find("cache"); it != j.end() && it->is_object()) {
    s.cache.module_hits = it->value("module_hits", 0ULL);
    s.cache.module_misses = it->value("module_misses", 0ULL);
    s.cache.symbol_hits = it->value("symbol_hits", 0ULL);
    s.cache.symbol_misses = it->value("symbol_misses", 0ULL);
  }
}

}  // namespace dbg
