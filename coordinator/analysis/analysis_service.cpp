#include "coordinator/analysis/analysis_service.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <pthread.h>
#include <chrono>
#include <cmath>
#include <deque>
#include <fstream>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "coordinator/analysis/analysis_metrics.hpp"
#include "coordinator/analysis/explanation.hpp"
#include "coordinator/analysis/features.hpp"
#include "coordinator/logging/log.hpp"
#include "coordinator/store/statement.hpp"
#include "coordinator/store/store.hpp"
#include "dbg/snapshot.hpp"

namespace dbg::coord::analysis {

namespace {

using Clock = std::chrono::steady_clock;

double micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }
double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

Result<Model> load_model(const AnalysisConfig& config) {
  if (!config.model_file) return Model::parse(embedded_model());
  std::ifstream in(*config.model_file, std::ios::binary);
  if (!in) return Error{"bad_model", "cannot read " + config.model_file->string()};
  std::ostringstream text;
  text << in.rdbuf();
  auto m = Model::parse(text.str());
  if (!m) return Error{"bad_model", config.model_file->string() + ": " + m.error().message};
  return m;
}

// A group waiting for the background: its short texts copied from a GroupChange (whose views die
// with the observer call), its latest event shared with the error service, not copied. Nothing
// here is parsed or converted until the job runs: the observer runs on the store thread, once
// per touched group and batch.
struct Job {
  GroupInput input;  // id and texts only; event and signature_frames are filled when it runs
  std::shared_ptr<const errors::ErrorEvent> latest;
  std::shared_ptr<const std::vector<std::string>> signature_frames;
  std::shared_ptr<const std::string> frames_json;
  std::shared_ptr<const std::string> context_json;
};

}  // namespace

struct AnalysisService::State : std::enable_shared_from_this<AnalysisService::State> {
  State(store::Store& s, std::optional<Model> m, const AnalysisConfig& c, boost::asio::any_io_executor w)
      : store(s), model(std::move(m)), cache(c.cache_entries), index(c.index_groups), worker(std::move(w)) {}

  AnalysisResult analyse(const GroupInput& input);
  void persist(int64_t id, const std::string& cls, double confidence);
  void run_pending();
  // Starts a drain kBackgroundDelay from now unless one is already waiting or we are stopping.
  void arm_drain_locked();

  store::Store& store;
  const std::optional<Model> model;
  AnalysisCache cache;
  SimilarityIndex index;
  AnalysisMetrics& metrics = analysis_metrics();

  const boost::asio::any_io_executor worker;  // the analysis thread
  std::mutex mutex;  // pending work, and the drain timer
  // Armed by the first pending group (kBackgroundDelay), and again by a drain that leaves groups
  // behind; cancelled at shutdown (stopping) so that the destructor's join does not wait for it
  // (pending background work is then dropped: those groups are analysed when next read).
  std::shared_ptr<boost::asio::steady_timer> drain_timer;
  bool drain_armed = false;
  bool stopping = false;
  std::unordered_map<int64_t, Job> pending;
  std::deque<int64_t> order;
  std::atomic<uint64_t> analysed{0}, skipped{0};
};

AnalysisResult AnalysisService::State::analyse(const GroupInput& input) {
  const auto begin = Clock::now();
  AnalysisResult out;
  auto features = extract_features(input.event);
  const std::uint64_t fh = feature_hash(features);
  auto refresh_similar = [&](Analysis& a) {
    const auto t = Clock::now();
    const MinHash mh = min_hash(input.signature_frames, input.error_class);
    if (!index.contains(input.id)) index.add(input.id, mh, input.type, input.message);
    a.index_generation = index.generation();
    a.similar = index.similar(input.id, mh);
    metrics.similar_seconds.observe(seconds(Clock::now() - t));
  };
  if (auto cached = cache.find(input.signature, fh)) {
    out.analysis = std::move(*cached);
    out.cached = true;
    metrics.cache_hits.inc();
    // The class stays; the similar list follows the index (new or evicted groups).
    if (out.analysis.index_generation != index.generation() || !index.contains(input.id)) {
      refresh_similar(out.analysis);
      cache.update_similar(input.signature, out.analysis);
    }
  } else {
    metrics.cache_misses.inc();
    const auto t = Clock::now();
    Analysis& a = out.analysis;
    a.feature_hash = fh;
    if (model) {
      auto p = model->predict(features);
      a.cls = p.cls;
      a.confidence = p.confidence;
      a.model_version = model->version();
      a.explanation = explain(p, model->threshold());
    } else {
      a.cls = std::string(kUnknownClass);
      a.confidence = 0;
      a.explanation = "no usable classifier model (see the server log); every group is unknown";
    }
    metrics.classify_seconds.observe(seconds(Clock::now() - t));
    refresh_similar(a);
    cache.put(input.signature, a);
  }
  // Stored on every fresh analysis, and when a reader saw the row disagree. A background hit
  // does not know the row, but the miss before it stored the same answer.
  const bool row_known = input.stored_class.has_value();
  const bool row_differs = !row_known || *input.stored_class != out.analysis.cls || !input.stored_confidence ||
                           std::abs(*input.stored_confidence - out.analysis.confidence) > 1e-9;
  if (!out.cached || (row_known && row_differs)) persist(input.id, out.analysis.cls, out.analysis.confidence);
  out.response_us = micros(Clock::now() - begin);
  metrics.analysis_seconds.observe(out.response_us / 1e6);
  auto cs = cache.stats();
  metrics.cache_entries.set(static_cast<double>(cs.entries));
  if (auto rate = cs.hit_rate()) metrics.cache_hit_ratio.set(*rate);
  metrics.index_groups.set(static_cast<double>(index.size()));
  // Evictions are counted by the cache; the registry's counter follows it.
  if (cs.evictions > metrics.cache_evictions.value()) metrics.cache_evictions.inc(cs.evictions - metrics.cache_evictions.value());
  if (cs.invalidations > metrics.cache_invalidations.value())
    metrics.cache_invalidations.inc(cs.invalidations - metrics.cache_invalidations.value());
  analysed.fetch_add(1, std::memory_order_relaxed);
  return out;
}

void AnalysisService::State::persist(int64_t id, const std::string& cls, double confidence) {
  store.write(
      [id, cls, confidence](store::StatementCache& sql) {
        auto q = sql.get("UPDATE error_groups SET class = ?2, confidence = ?3 WHERE id = ?1");
        q->bind(1, id);
        q->bind(2, std::string_view(cls));
        q->bind(3, confidence);
        q->run();
      },
      [id](Result<void> r) {
        if (!r) DBG_LOG_ERROR("analysis: storing the class of group {}: {}", id, r.error().message);
      });
}

void AnalysisService::State::arm_drain_locked() {
  if (drain_armed || stopping) return;
  drain_armed = true;
  auto timer = std::make_shared<boost::asio::steady_timer>(worker, kBackgroundDelay);
  drain_timer = timer;
  std::weak_ptr<State> weak = weak_from_this();
  timer->async_wait([weak, timer](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto s = weak.lock()) s->run_pending();
  });
}

void AnalysisService::State::run_pending() {
  // A drain takes the groups that were waiting when it began. Groups queued while it runs (the
  // store keeps committing batches) wait for the next drain, kBackgroundDelay later; without
  // this bound the thread never waited at ingest rates and analysed each group several times
  // a second (measured: one analysis per 4.6 events, 40 % of a core at 34,000 events/s).
  std::size_t budget = 0;
  {
    std::lock_guard lock(mutex);
    drain_armed = false;
    budget = order.size();
  }
  for (; budget > 0; --budget) {
    Job job;
    {
      std::lock_guard lock(mutex);
      if (order.empty()) break;
      auto it = pending.find(order.front());
      order.pop_front();
      if (it == pending.end()) continue;
      job = std::move(it->second);
      pending.erase(it);
    }
    try {
      if (job.signature_frames) job.input.signature_frames = *job.signature_frames;
      auto& e = job.input.event;
      if (job.latest) {
        const errors::ErrorEvent& latest = *job.latest;
        e = nlohmann::json{{"source", latest.source}, {"kind", latest.kind}, {"type", latest.type},
                           {"message", latest.message}};
      }
      // The error service keeps an event's frames serialized, once per distinct stack.
      auto frames = nlohmann::json::parse(job.frames_json ? *job.frames_json : std::string(), nullptr, false);
      e["frames"] = frames.is_array() ? std::move(frames) : nlohmann::json::array();
      auto ctx = nlohmann::json::parse(job.context_json ? *job.context_json : std::string(), nullptr, false);
      e["context"] = ctx.is_discarded() ? nlohmann::json::object() : std::move(ctx);
      // The event stays alive only as long as some job or the service needs it.
      job.latest.reset();
      job.signature_frames.reset();
      job.frames_json.reset();
      job.context_json.reset();
      analyse(job.input);
    } catch (const std::exception& ex) {
      DBG_LOG_ERROR("analysis: group {}: {}", job.input.id, ex.what());
    }
  }
  std::lock_guard lock(mutex);
  if (!order.empty()) arm_drain_locked();
}

AnalysisService::AnalysisService(store::Store& store, AnalysisConfig config)
    : worker_(std::make_unique<boost::asio::thread_pool>(1)) {
  boost::asio::post(*worker_, [] { pthread_setname_np(pthread_self(), "dbg-analysis"); });
  auto model = load_model(config);
  if (!model) {
    model_error_ = model.error().message;
    DBG_LOG_ERROR("analysis: the classifier model did not load ({}); every error group will be classified unknown",
                  model_error_);
  } else {
    DBG_LOG_INFO("analysis: classifier model version {} ({} classes, {} features, {})", model.value().version(),
                 model.value().classes().size(), model.value().vocabulary_size(),
                 config.model_file ? config.model_file->string() : std::string("embedded"));
  }
  state_ = std::make_shared<State>(store, model ? std::optional<Model>(std::move(model.value())) : std::nullopt, config,
                                   worker_->get_executor());
  auto& m = state_->metrics;
  m.model_loaded.set(state_->model ? 1 : 0);
  m.cache_capacity.set(static_cast<double>(state_->cache.stats().capacity));
}

AnalysisService::~AnalysisService() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;  // a drain running now must not arm another
    if (state_->drain_timer) state_->drain_timer->cancel();
  }
  worker_->join();
  // The timer belongs to the pool's timer service, which dies with worker_; the State may live
  // on (store callbacks hold it), so the timer must go first (ASan: heap-use-after-free at exit).
  std::lock_guard lock(state_->mutex);
  state_->drain_timer.reset();
}

void AnalysisService::warm() {
  std::weak_ptr<State> weak = state_;
  const auto limit = static_cast<int64_t>(state_->index.capacity());
  state_->store.read([weak, limit](store::StatementCache& sql) {
    auto state = weak.lock();
    if (!state) return;
    try {
      auto q = sql.get(
          "SELECT id, error_class, type, message, signature_frames FROM error_groups ORDER BY last_seen DESC, id DESC "
          "LIMIT ?1");
      q->bind(1, limit);
      struct Row {
        int64_t id;
        MinHash hash;
        std::string type, message;
      };
      std::vector<Row> rows;
      while (q->step()) {
        auto frames = nlohmann::json::parse(q->column_text(4), nullptr, false);
        std::vector<std::string> keys;
        if (frames.is_array())
          for (const auto& k : frames)
            if (k.is_string()) keys.push_back(k.get<std::string>());
        rows.push_back(Row{q->column_int64(0), min_hash(keys, q->column_text(1)), q->column_text(2), q->column_text(3)});
      }
      // Oldest first, so the most recently seen groups end up most recent in the index.
      for (auto it = rows.rbegin(); it != rows.rend(); ++it) state->index.add(it->id, it->hash, it->type, it->message);
      state->metrics.index_groups.set(static_cast<double>(state->index.size()));
    } catch (const std::exception& e) {
      DBG_LOG_ERROR("analysis: loading groups into the similarity index: {}", e.what());
    }
  });
}

errors::GroupObserver AnalysisService::observer() {
  std::weak_ptr<State> weak = state_;
  return [weak](const std::vector<errors::GroupChange>& changes) {
    auto state = weak.lock();
    if (!state) return;
    for (const auto& c : changes) {
      if (c.created && c.signature_frames) {
        // New groups join the similarity index at once, so the next query sees them.
        state->index.add(c.id, min_hash(*c.signature_frames, std::string(c.error_class)), std::string(c.type),
                         std::string(c.message));
      }
      std::lock_guard lock(state->mutex);
      auto it = state->pending.find(c.id);
      if (it == state->pending.end()) {
        if (state->pending.size() >= kMaxPending) {
          state->skipped.fetch_add(1, std::memory_order_relaxed);
          state->metrics.skipped.inc();
          continue;
        }
        it = state->pending.emplace(c.id, Job{}).first;
        state->order.push_back(c.id);
        // The first pending group arms the drain; groups touched until it fires join the same
        // drain (coalesced with what is already pending).
        state->arm_drain_locked();
      }
      // Coalesced: a group touched again before its turn is analysed once, from its latest event.
      Job& job = it->second;
      GroupInput& in = job.input;
      in.id = c.id;
      in.signature.assign(c.signature);
      in.error_class.assign(c.error_class);
      in.type.assign(c.type);
      in.message.assign(c.message);
      job.latest = c.latest;
      job.signature_frames = c.signature_frames;
      job.frames_json = c.frames_json;
      job.context_json = c.context_json;
    }
  };
}

AnalysisResult AnalysisService::analyse(const GroupInput& input) { return state_->analyse(input); }

GroupInput group_input(const nlohmann::json& group) {
  GroupInput in;
  in.id = group.value("id", int64_t{0});
  in.signature = group.value("signature", std::string());
  in.error_class = group.value("error_class", std::string());
  in.type = group.value("type", std::string());
  in.message = group.value("message", std::string());
  if (auto it = group.find("signature_frames"); it != group.end() && it->is_array())
    for (const auto& k : *it)
      if (k.is_string()) in.signature_frames.push_back(k.get<std::string>());
  if (auto it = group.find("class"); it != group.end() && it->is_string()) in.stored_class = it->get<std::string>();
  if (auto it = group.find("confidence"); it != group.end() && it->is_number()) in.stored_confidence = it->get<double>();
  auto events = group.find("events");
  if (events != group.end() && events->is_array() && !events->empty()) {
    const auto& e = events->front();  // the latest
    in.event = nlohmann::json::object();
    for (const char* k : {"source", "kind", "type", "message", "frames", "context"})
      if (auto f = e.find(k); f != e.end()) in.event[k] = *f;
  } else {
    // Every event archived or none asked for: the group's own first-event fields stand in.
    in.event = nlohmann::json{{"type", in.type}, {"message", in.message},
                              {"frames", group.value("frames", nlohmann::json::array())}};
  }
  return in;
}

void AnalysisService::annotate(nlohmann::json& group) {
  auto r = state_->analyse(group_input(group));
  group["class"] = r.analysis.cls;
  group["confidence"] = r.analysis.confidence;
  group["analysis"] = analysis_json(r.analysis, r.response_us, r.cached);
  group["similar"] = similar_json(r.analysis.similar);
}

nlohmann::json AnalysisService::analysis_of(const nlohmann::json& group) {
  auto r = state_->analyse(group_input(group));
  auto out = analysis_json(r.analysis, r.response_us, r.cached);
  out["id"] = group.value("id", int64_t{0});
  out["similar"] = similar_json(r.analysis.similar);
  return out;
}

AnalysisStats AnalysisService::stats() const {
  AnalysisStats s;
  s.cache = state_->cache.stats();
  s.analysed = state_->analysed.load(std::memory_order_relaxed);
  s.skipped = state_->skipped.load(std::memory_order_relaxed);
  {
    std::lock_guard lock(state_->mutex);
    s.pending = state_->pending.size();
  }
  s.index_groups = state_->index.size();
  s.model_loaded = state_->model.has_value();
  return s;
}

}  // namespace dbg::coord::analysis
