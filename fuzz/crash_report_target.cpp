// Fuzz entry for the coordinator's reading of the crash handler's reports (coordinator/crash/
// crash_report.hpp): spool/new/<id>.json -> errors::ErrorEvent. The report carries what a
// crashing process put in its own memory (comm, abort message, exception text, frames of its
// own stack), so a hostile process shapes it; the conversion must refuse, never throw or crash.
#include <string_view>

#include "coordinator/crash/crash_report.hpp"
#include "coordinator/crash/drop_counters.hpp"
#include "coordinator/errors/signature.hpp"
#include "fuzz_targets.hpp"

namespace dbg::fuzz {

void crash_report_one_input(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto report = dbg::coord::crash::parse_core_report(text);
  if (report) {
    const auto& r = report.value();
    check(!r.id.empty() && r.id.size() <= dbg::coord::crash::kMaxIngestKeyBytes, "an ingest key out of bounds");
    check(r.pid > 0, "a report without a positive pid");
    check(r.event.kind == "crash" && r.event.source == "watch", "a report that is not a watch crash");
    check(r.event.message.size() <= dbg::coord::errors::kMaxMessageChars, "a message over the bound");
    check(r.event.context.is_object() && r.event.context.value("mode", "") == "core", "a context without mode core");
    // What the error groups do with it next: sign it.
    auto sig = dbg::coord::errors::compute_signature(r.event.type, r.event.message, r.event.comm, r.event.frames);
    check(!sig.hash.empty(), "an empty signature");
    // And store its context (the ingest's serialization, invalid UTF-8 replaced).
    (void)r.event.context.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    check(report.error().code == "bad_request", "an unexpected error code");
  }
  // The same bytes as a spool/counters.json.
  (void)dbg::coord::crash::parse_counters(text);
}

}  // namespace dbg::fuzz
