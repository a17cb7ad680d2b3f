#pragma once
// AnalysisService: classifies error groups and finds their similar groups, with the pattern
// cache in front (analysis_cache.hpp), and stores class and confidence in error_groups so
// GET /api/v1/errors?class=... can filter on them.
//
// When analyses happen:
//   - in the background, for every group a committed batch touched (ErrorService's group
//     observer): the observer keeps a shared pointer to the group's latest event and returns (the
//     store thread is not held up: no copies, no feature work, no JSON parsing there); one
//     analysis thread does the rest. Pending work is gathered for kBackgroundDelay before the
//     thread drains it, and a drain takes only the groups waiting when it began, so a group that
//     every batch touches (1,000 groups in each of 100 batches a second) is analysed about once a
//     second, not once per batch: at ingest rates the per-batch analyses cost as much CPU as the
//     ingest itself. Shutdown cancels a waiting drain (those groups are analysed when next read).
//     Pending work is coalesced per group and bounded (kMaxPending); beyond it groups are
//     skipped (counted) and analysed on their next read instead. A cache hit (same signature,
//     same features) costs a lookup; a miss classifies, finds similar groups and writes the
//     class to SQLite (batched by the store like every write).
//   - at read time (GET /api/v1/errors/{id}[/analysis]), on the store's reader thread, from the
//     group's latest event, for groups the background never saw (created before this version,
//     or skipped) and to report a fresh response_us.
//
// Model: --model-file or the embedded one. A model that does not load is logged
// (DBG_LOG_ERROR) and every answer is then class "unknown", confidence 0, model_version null;
// the coordinator runs on.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/analysis/analysis.hpp"
#include "coordinator/analysis/analysis_cache.hpp"
#include "coordinator/analysis/model.hpp"
#include "coordinator/analysis/similarity_index.hpp"
#include "coordinator/errors/error_service.hpp"

namespace boost::asio {
class thread_pool;
}
namespace dbg::coord::store {
class Store;
}

namespace dbg::coord::analysis {

inline constexpr std::size_t kDefaultCacheEntries = 1000;
inline constexpr std::size_t kMaxPending = 4096;
inline constexpr std::chrono::milliseconds kBackgroundDelay{1000};

struct AnalysisConfig {
  std::size_t cache_entries = kDefaultCacheEntries;
  std::size_t index_groups = kDefaultIndexGroups;
  std::optional<std::filesystem::path> model_file;  // nullopt: the embedded model
};

// What one analysis needs of a group.
struct GroupInput {
  int64_t id = 0;
  std::string signature;
  std::string error_class;
  std::string type;     // the group's (its first event's)
  std::string message;
  std::vector<std::string> signature_frames;
  // The latest event: {"source","kind","type","message","frames","context"}.
  nlohmann::json event;
  std::optional<std::string> stored_class;
  std::optional<double> stored_confidence;
};

struct AnalysisResult {
  Analysis analysis;
  double response_us = 0;
  bool cached = false;
};

struct AnalysisStats {
  CacheStats cache;
  std::uint64_t analysed = 0;
  std::uint64_t skipped = 0;  // background work dropped because kMaxPending groups were waiting
  std::size_t pending = 0;
  std::size_t index_groups = 0;
  bool model_loaded = false;
};

class AnalysisService {
 public:
  // Must outlive the ErrorService it observes (app.cpp declares it first).
  AnalysisService(store::Store& store, AnalysisConfig config);
  // Finishes the queued background analyses.
  ~AnalysisService();
  AnalysisService(const AnalysisService&) = delete;
  AnalysisService& operator=(const AnalysisService&) = delete;

  // Loads the most recent groups into the similarity index (a store read, asynchronous).
  void warm();
  // For ErrorService::set_group_observer.
  errors::GroupObserver observer();

  // Classifies (or takes from the cache) and finds similar groups; stores class/confidence
  // when they differ from input.stored_*. Any thread.
  AnalysisResult analyse(const GroupInput& input);
  // GET /api/v1/errors/{id}: adds "analysis" and "similar" to a group answer (which carries its
  // latest events first; without any, the group's own type, message and frames stand in), and
  // updates its "class"/"confidence".
  void annotate(nlohmann::json& group);
  // The analysis part alone, for GET /api/v1/errors/{id}/analysis.
  nlohmann::json analysis_of(const nlohmann::json& group);

  AnalysisStats stats() const;
  // Empty when the model loaded; else why not.
  const std::string& model_error() const { return model_error_; }

  struct State;

 private:
  std::shared_ptr<State> state_;
  std::unique_ptr<boost::asio::thread_pool> worker_;
  std::string model_error_;
};

// A group answer (select_group's JSON with "events") as a GroupInput.
GroupInput group_input(const nlohmann::json& group);

}  // namespace dbg::coord::analysis
