#include "coordinator/sessions/session.hpp"

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

nlohmann::json to_json(const Session& s) {
  nlohmann::json batches = nlohmann::json::array();
  for (const auto& b : s.batches) {
    nlohmann::json targets = nlohmann::json::array();
    for (const auto& t : b.targets) {
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
      targets.push_back(std::move(target));
    }
    batches.push_back({{"index", b.index},
                       {"status", b.status},
                       {"elapsed_ms", b.elapsed_ms ? nlohmann::json(*b.elapsed_ms) : nlohmann::json(nullptr)},
                       {"targets", std::move(targets)}});
  }
  return {{"id", s.id},
          {"kind", s.kind},
          {"status", s.status},
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
          {"batches", std::move(batches)},
          {"debug", metrics::to_json(s.debug, s.created_at_ms, s.finished_at_ms)}};
}

}  // namespace dbg::coord::sessions
