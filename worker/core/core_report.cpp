#include "worker/core/core_report.hpp"

#include "dbg/protocol.hpp"
#include "dbg/utf8.hpp"
#include "worker/core/core_context.hpp"

namespace dbg::worker::core {

namespace {

// Keeps only the crashing thread (the first); the others are counted in omitted_threads.
bool drop_other_threads(nlohmann::json& context) {
  auto it = context.find("threads");
  if (it == context.end() || !it->is_array() || it->size() <= 1) return false;
  const size_t dropped = it->size() - 1;
  it->erase(it->begin() + 1, it->end());
  size_t omitted = 0;
  if (auto o = context.find("omitted_threads"); o != context.end() && o->is_number_unsigned()) omitted = o->get<size_t>();
  context["omitted_threads"] = omitted + dropped;
  return true;
}

}  // namespace

nlohmann::json build_report(const std::string& id, const CrashArgs& args, const std::string& watch_id,
                            const CrashedProcess& process, nlohmann::json context, const HandlerOutcome& h) {
  nlohmann::json handler = {{"analysis", h.analysis}, {"elapsed_ms", h.elapsed_ms}, {"peak_rss_kb", h.peak_rss_kb},
                            {"core_bytes", h.core_bytes}, {"chain", h.chain}, {"chain_result", h.chain_result}};
  if (!h.reason.empty()) handler["reason"] = h.reason;
  return {{"v", 1},
          {"type", "crash"},
          {"mode", "core"},
          {"id", id},
          {"pid", args.pid},
          {"watch_id", watch_id},
          {"process",
           {{"comm", process.comm}, {"exe", process.exe}, {"cmdline", process.cmdline}, {"uid", args.uid},
            {"gid", args.gid}, {"start_time", process.start_time}}},
          {"context", std::move(context)},
          {"handler", std::move(handler)}};
}

void fit_context(nlohmann::json& context, size_t max_bytes) {
  if (protocol::dump(context).size() <= max_bytes) return;
  drop_other_threads(context);
}

std::string render_report(nlohmann::json report, size_t max_bytes) {
  std::string text = protocol::dump(report);
  if (text.size() <= max_bytes) return text;
  if (drop_other_threads(report["context"])) {
    text = protocol::dump(report);
    if (text.size() <= max_bytes) return text;
  }
  report["context"] = to_minimal(report["context"]);
  report["handler"]["analysis"] = "minimal";
  report["handler"]["reason"] = "too_large";
  text = protocol::dump(report);
  if (text.size() <= max_bytes) return text;
  // What is left that can be long: the command line and the executable path (4 KiB each).
  for (const char* key : {"cmdline", "exe"}) {
    std::string value = report["process"][key].get<std::string>();
    utf8_cut_bytes(value, 256);
    report["process"][key] = value;
  }
  return protocol::dump(report);
}

}  // namespace dbg::worker::core
