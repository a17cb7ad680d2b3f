#include "worker/core/core_context.hpp"

#include <string.h>

#include "dbg/snapshot.hpp"
#include "dbg/utf8.hpp"
#include "worker/core/core_config.hpp"
#include "worker/watch/watch_crash_context.hpp"
#include "worker/watch/watch_memory.hpp"
#include "worker/watch/watch_signals.hpp"

namespace dbg::worker::core {

namespace {

// The keys a minimal context takes over from a full one; the others get their empty values.
constexpr const char* kMinimalKeys[] = {"type", "signal",       "signal_name", "code", "code_name", "message",
                                        "timestamp_ms", "pid", "comm", "tid", "thread_name", "fault"};

nlohmann::json empty_context() {
  return {{"fault", nullptr},         {"registers", nullptr}, {"threads", nlohmann::json::array()},
          {"omitted_threads", 0},     {"abort_message", nullptr}, {"exception", nullptr},
          {"variables", nullptr},     {"capture_us", 0},      {"analysis_us", 0}};
}

}  // namespace

CrashSignal crash_signal(const CrashArgs& args, const CoreNotes* notes) {
  CrashSignal s;
  if (notes && notes->siginfo && notes->siginfo->signo > 0 && notes->siginfo->signo < 65) {
    s.signal = notes->siginfo->signo;
    s.code = notes->siginfo->code;
    s.has_fault_address = code_has_fault_address(s.signal, s.code);
    s.fault_address = s.has_fault_address ? notes->siginfo->address : 0;
  } else {
    s.signal = args.signal;
  }
  return s;
}

nlohmann::json minimal_context(const CrashArgs& args, const CoreNotes* notes, const std::string& comm, int64_t timestamp_ms) {
  const CrashSignal s = crash_signal(args, notes);
  const std::string code_name = signal_code_name(s.signal, s.code);
  nlohmann::json ctx = empty_context();
  ctx["type"] = signal_name(s.signal) + "/" + code_name;
  ctx["signal"] = s.signal;
  ctx["signal_name"] = signal_name(s.signal);
  ctx["code"] = s.code;
  ctx["code_name"] = code_name;
  ctx["timestamp_ms"] = timestamp_ms;
  ctx["pid"] = args.pid;
  ctx["comm"] = comm;
  ctx["tid"] = args.tid;
  auto name = read_small_file("/proc/" + std::to_string(args.pid) + "/task/" + std::to_string(args.tid) + "/comm", 256);
  if (name && !name->empty() && name->back() == '\n') name->pop_back();
  ctx["thread_name"] = name ? *name : std::string();
  ctx["omitted_threads"] = notes ? notes->threads.size() : 0;
  // The message the full analysis gives when the process left none of its own: the signal's
  // description and code, and where it faulted. (An abort's own message needs the analysis.)
  std::string message = std::string(::strsignal(s.signal)) + " (" + code_name + ")";
  if (s.has_fault_address) {
    std::vector<uint64_t> sps;
    if (notes) {
      for (const auto& t : notes->threads) sps.push_back(t.regs.rsp);
    }
    const auto maps = read_maps(args.pid);
    const std::string fault_class = classify_address(maps, s.fault_address, sps);
    const Mapping* m = find_mapping(maps, s.fault_address);
    ctx["fault"] = {{"address", hex(s.fault_address)}, {"class", fault_class},
                    {"mapping", m && !m->path.empty() ? nlohmann::json(m->path) : nlohmann::json(nullptr)}};
    message += " at " + hex(s.fault_address) + " [" + fault_class + "]";
  }
  ctx["message"] = std::string(utf8_prefix_bytes(message, kMaxCrashMessageChars));
  return ctx;
}

nlohmann::json to_minimal(const nlohmann::json& context) {
  nlohmann::json out = empty_context();
  if (!context.is_object()) return out;
  for (const char* key : kMinimalKeys) {
    if (auto it = context.find(key); it != context.end()) out[key] = *it;
  }
  size_t threads = 0;
  if (auto it = context.find("threads"); it != context.end() && it->is_array()) threads = it->size();
  if (auto it = context.find("omitted_threads"); it != context.end() && it->is_number_unsigned()) threads += it->get<size_t>();
  out["omitted_threads"] = threads;
  return out;
}

}  // namespace dbg::worker::core
