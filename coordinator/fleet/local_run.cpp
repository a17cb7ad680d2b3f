#include "coordinator/fleet/local_run.hpp"

#include <algorithm>
#include <charconv>
#include <future>
#include <memory>
#include <thread>

#include "coordinator/profiles/profile_store.hpp"
#include "coordinator/sessions/scheduler.hpp"
#include "coordinator/sessions/session_request.hpp"
#include "coordinator/store/store.hpp"
#include "dbg/profile.hpp"
#include "dbg/snapshot_views.hpp"

namespace dbg::coord::fleet {

namespace {

using namespace std::chrono_literals;

template <typename T>
using Shared = std::shared_ptr<std::promise<T>>;

// Waits for a future in slices, so a stopping coordinator is not held by a callback that its
// stopped io_context will never run.
template <typename T>
std::optional<T> wait(std::future<T>& f, const std::function<bool()>& stopping,
                      std::chrono::steady_clock::time_point deadline) {
  while (f.wait_for(100ms) != std::future_status::ready) {
    if (stopping() || std::chrono::steady_clock::now() > deadline) return std::nullopt;
  }
  return f.get();
}

template <typename T>
std::optional<T> wait(std::future<T>& f, const LocalRun& run, std::chrono::steady_clock::time_point deadline) {
  return wait(f, run.stopping, deadline);
}

Result<nlohmann::json> session_json(const LocalRun& run, const std::string& id,
                                    std::chrono::steady_clock::time_point deadline) {
  auto p = std::make_shared<std::promise<Result<nlohmann::json>>>();
  auto f = p->get_future();
  run.scheduler.get(id, [p](Result<nlohmann::json> r) { p->set_value(std::move(r)); });
  auto r = wait(f, run, deadline);
  if (!r) return Error{"timed_out", "no answer from the local scheduler"};
  return std::move(*r);
}

using Stopping = std::function<bool()>;
using Deadline = std::chrono::steady_clock::time_point;

std::string folded_of_snapshot(store::Store& store, int64_t id, const Stopping& stopping, Deadline deadline) {
  auto p = std::make_shared<std::promise<std::string>>();
  auto f = p->get_future();
  store.load_snapshot(id, [p](std::optional<store::StoredSnapshot> s) {
    p->set_value(s ? format_folded(s->snapshot) : std::string());
  });
  return wait(f, stopping, deadline).value_or("");
}

std::string folded_of_profile(store::Store& store, int64_t id, const Stopping& stopping, Deadline deadline) {
  auto p = std::make_shared<std::promise<std::string>>();
  auto f = p->get_future();
  profiles::load_profile(store, id, [p](std::optional<profiles::StoredProfile> s) {
    p->set_value(s ? format_profile_folded(s->profile) : std::string());
  });
  return wait(f, stopping, deadline).value_or("");
}

bool terminal(const std::string& status) { return status == "done" || status == "failed" || status == "cancelled"; }

}  // namespace

void add_folded(const std::string& text, nlohmann::json& into) {
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    const auto space = line.rfind(' ');
    if (space == std::string_view::npos || space == 0) continue;
    int64_t count = 0;
    auto [ptr, ec] = std::from_chars(line.data() + space + 1, line.data() + line.size(), count);
    if (ec != std::errc{} || ptr != line.data() + line.size() || count <= 0) continue;
    std::string stack(line.substr(0, space));
    if (!into.contains(stack) && into.size() >= kMaxFoldedStacks) stack = "[other stacks]";
    into[stack] = into.value(stack, int64_t{0}) + count;
  }
}

Result<nlohmann::json> run_locally(const LocalRun& run, const nlohmann::json& request,
                                   std::chrono::steady_clock::time_point deadline) {
  auto parsed = sessions::parse_session_request(request.dump());
  if (!parsed) return parsed.error();
  auto p = std::make_shared<std::promise<Result<nlohmann::json>>>();
  auto f = p->get_future();
  run.scheduler.create(std::move(parsed.value()), [p](Result<nlohmann::json> r) { p->set_value(std::move(r)); });
  auto created = wait(f, run, deadline);
  if (!created) return Error{"timed_out", "the local scheduler did not take the session in time"};
  if (!*created) return created->error();
  const std::string id = created->value().at("id").get<std::string>();

  nlohmann::json session;
  // Polled every 2 ms for the first 100 ms, then doubling to 100 ms: a session of a few targets
  // ends within milliseconds, and a fixed 100 ms made a fleet session 8x a local one
  // (BENCHMARKS.md, "Fleet benchmark"); a long session costs a poll every 100 ms.
  const auto started = std::chrono::steady_clock::now();
  auto poll = 2ms;
  while (true) {
    auto s = session_json(run, id, deadline);
    if (!s) return s.error();
    session = std::move(s.value());
    if (terminal(session.value("status", ""))) break;
    if (run.stopping()) return Error{"cancelled", "the coordinator is stopping"};
    if (std::chrono::steady_clock::now() > deadline) {
      run.scheduler.cancel(id, [](Result<nlohmann::json>) {});
      return Error{"timed_out", "local session " + id + " did not finish before the task's deadline"};
    }
    std::this_thread::sleep_for(poll);
    if (std::chrono::steady_clock::now() - started > 100ms) poll = std::min<std::chrono::milliseconds>(poll * 2, 100ms);
  }

  return summarize_session(run.store, session, run.stopping, deadline);
}

nlohmann::json summarize_session(store::Store& store, const nlohmann::json& session, const std::function<bool()>& stopping,
                                 std::chrono::steady_clock::time_point deadline) {
  nlohmann::json folded = nlohmann::json::object();
  int64_t targets = 0, done = 0, failed = 0;
  const bool profile = session.value("kind", "snapshot") == "profile";
  for (const auto& batch : session.value("batches", nlohmann::json::array())) {
    for (const auto& t : batch.at("targets")) {
      ++targets;
      const std::string status = t.value("status", "");
      if (status == "done") ++done;
      if (status == "failed") ++failed;
      const char* key = profile ? "profile_id" : "snapshot_id";
      if (!t.contains(key) || !t.at(key).is_number_integer()) continue;
      const int64_t result = t.at(key).get<int64_t>();
      add_folded(profile ? folded_of_profile(store, result, stopping, deadline)
                         : folded_of_snapshot(store, result, stopping, deadline),
                 folded);
    }
  }
  return nlohmann::json{{"local_session_id", session.value("id", "")},
                        {"kind", session.value("kind", "")},
                        {"status", session.value("status", "")},
                        {"targets", targets},
                        {"done", done},
                        {"failed", failed},
                        {"created_at_ms", session.value("created_at_ms", nlohmann::json(nullptr))},
                        {"total_ms", session.value("total_ms", nlohmann::json(nullptr))},
                        {"folded", std::move(folded)}};
}

}  // namespace dbg::coord::fleet
