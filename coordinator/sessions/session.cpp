#include "coordinator/sessions/session.hpp"

#include "dbg/protocol.hpp"
#include "dbg/snapshot.hpp"

namespace dbg::coord::sessions {

size_t Session::target_count() const {
  size_t n = 0;
  for (const auto& b : batches) n += b.targets.size();
  return n;
}

size_t Session::count_with_status(TargetStatus wanted) const {
  size_t n = 0;
  for (const auto& b : batches)
    for (const auto& t : b.targets) n += t.status == wanted ? 1 : 0;
  return n;
}

namespace {

nlohmann::json target_json(const Session& s, const SessionTarget& t) {
  nlohmann::json target = {{"pid", t.pid},
                           {"comm", t.comm},
                           {"score", t.score},
                           {"status", t.status},
                           {"error", t.error ? nlohmann::json(*t.error) : nlohmann::json(nullptr)}};
  if (s.kind == "profile") {
    target["profile_id"] = t.profile_id ? nlohmann::json(*t.profile_id) : nlohmann::json(nullptr);
    target["progress"] = t.progress;
  } else {
    target["snapshot_id"] = t.snapshot_id ? nlohmann::json(*t.snapshot_id) : nlohmann::json(nullptr);
    if (s.options.contains("detect")) target["findings"] = t.findings;
  }
  return target;
}

nlohmann::json elapsed_json(const SessionBatch& b) { return b.elapsed_ms ? nlohmann::json(*b.elapsed_ms) : nlohmann::json(nullptr); }

// Everything but "batches".
nlohmann::json head_json(const Session& s, SessionStatus status) {
  return {{"id", s.id},
          {"kind", s.kind},
          {"status", status},
          {"targets", s.targets_spec},
          {"options", s.options},
          {"created_at_ms", s.created_at_ms},
          {"finished_at_ms", s.finished_at_ms ? nlohmann::json(*s.finished_at_ms) : nlohmann::json(nullptr)},
          {"total_ms", s.total_ms ? nlohmann::json(*s.total_ms) : nlohmann::json(nullptr)},
          {"reason", s.reason ? nlohmann::json(*s.reason) : nlohmann::json(nullptr)},
          {"progress",
           {{"total", s.target_count()},
            {"done", s.count_with_status(Status::done)},
            {"failed", s.count_with_status(Status::failed)},
            {"cancelled", s.count_with_status(Status::cancelled)}}},
          {"debug", metrics::to_json(s.debug, s.created_at_ms, s.finished_at_ms)}};
}

}  // namespace

nlohmann::json to_json(const Session& s) {
  nlohmann::json batches = nlohmann::json::array();
  for (const auto& b : s.batches) {
    nlohmann::json targets = nlohmann::json::array();
    for (const auto& t : b.targets) targets.push_back(target_json(s, t));
    batches.push_back({{"index", b.index}, {"status", b.status}, {"elapsed_ms", elapsed_json(b)}, {"targets", std::move(targets)}});
  }
  nlohmann::json j = head_json(s, s.status);
  j["batches"] = std::move(batches);
  return j;
}

std::string to_json_text(const Session& s, std::optional<SessionStatus> shown_status) {
  // The keys in nlohmann's order (sorted): "batches" comes first, then the head's.
  const std::string head = protocol::dump(head_json(s, shown_status.value_or(s.status)));
  std::string out;
  out.reserve(head.size() + 160 * s.target_count() + 64);
  out += "{\"batches\":[";
  for (std::size_t bi = 0; bi < s.batches.size(); ++bi) {
    const SessionBatch& b = s.batches[bi];
    if (bi > 0) out += ',';
    out += "{\"elapsed_ms\":";
    out += protocol::dump(elapsed_json(b));
    out += ",\"index\":";
    out += std::to_string(b.index);
    out += ",\"status\":";
    out += protocol::dump(nlohmann::json(b.status));
    out += ",\"targets\":[";
    for (std::size_t ti = 0; ti < b.targets.size(); ++ti) {
      if (ti > 0) out += ',';
      out += protocol::dump(target_json(s, b.targets[ti]));  // one small object at a time, freed at once
    }
    out += "]}";
  }
  out += "],";
  out.append(head, 1, std::string::npos);  // the head's fields and its closing '}'
  return out;
}

}  // namespace dbg::coord::sessions
