#pragma once
// A small metrics registry for /metrics (Prometheus text exposition) and /api/v1/stats.
//
// Instruments are cheap on hot paths: a Counter or Gauge is one relaxed atomic, a Histogram one
// relaxed increment per observation plus a CAS for the sum; no lock is taken after the
// instrument was looked up once. Labelled families (Family<T>) take a lock per lookup, so
// callers on hot paths keep the child they got.
//
// Extension without editing this file: a feature asks the registry for its own instruments by
// name (idempotent: the same name and type give the same instrument, so a function-local static
// reference is enough), or adds a Collector that writes values it computes at scrape time (pool
// sizes, store totals, process memory). Nothing here knows about HTTP, Asio or any feature.
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dbg::coord::metrics {

class Counter {
 public:
  void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void add(double v) noexcept { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// What a histogram held at one moment: per-bucket (not cumulative) counts, the last bucket
// being +Inf. Quantiles are estimated like PromQL's histogram_quantile (linear inside the
// bucket), so /api/v1/stats and a Prometheus dashboard agree.
struct HistogramSnapshot {
  std::vector<double> bounds;         // upper bounds, ascending, without +Inf
  std::vector<std::uint64_t> counts;  // bounds.size() + 1 entries
  double sum = 0;
  std::uint64_t count = 0;
  double max = 0;  // exact largest observation (0 when empty)

  double mean() const { return count == 0 ? 0 : sum / static_cast<double>(count); }
  // q in [0, 1]; 0 when empty. Observations above the last bound are reported as `max`.
  double quantile(double q) const;
};

class Histogram {
 public:
  // bounds: ascending upper bounds in base units; throws std::invalid_argument otherwise.
  explicit Histogram(std::vector<double> bounds);
  void observe(double v) noexcept;
  HistogramSnapshot snapshot() const;
  const std::vector<double>& bounds() const { return bounds_; }

  // Upper bounds start, start*factor, ... (count of them).
  static std::vector<double> exponential(double start, double factor, std::size_t count);

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> max_{0};
};

using Labels = std::vector<std::pair<std::string, std::string>>;

// Instruments of one name that differ by label values (route="/api/v1/sessions", code="2xx").
// Label values must come from small, fixed sets: never pids, ids or signatures.
template <typename T>
class Family {
 public:
  Family(std::vector<std::string> label_names, std::function<std::unique_ptr<T>()> make)
      : label_names_(std::move(label_names)), make_(std::move(make)) {}
  // values in the order of the label names; throws std::invalid_argument on a count mismatch.
  T& with(const std::vector<std::string>& values);
  const std::vector<std::string>& label_names() const { return label_names_; }
  // Children with their label values, for exposition.
  std::vector<std::pair<std::vector<std::string>, const T*>> children() const;

 private:
  std::vector<std::string> label_names_;
  std::function<std::unique_ptr<T>()> make_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> children_;
};

// Writes families in the text exposition format (version 0.0.4). Each family is introduced
// once (HELP, TYPE) and then gets its samples; a name must not be started twice.
class Exposition {
 public:
  enum class Type { counter, gauge, histogram };
  void family(std::string_view name, std::string_view help, Type type);
  void sample(std::string_view name, const Labels& labels, double value);
  void histogram(std::string_view name, const Labels& labels, const HistogramSnapshot& h);
  // Shorthands: one family with one unlabelled sample.
  void counter(std::string_view name, std::string_view help, double value);
  void gauge(std::string_view name, std::string_view help, double value);
  // Another exposition's families after these (one built apart, kept only if it completed).
  void append(const Exposition& other) { out_ += other.out_; }
  const std::string& text() const { return out_; }

 private:
  std::string out_;
};

class Registry {
 public:
  using Collector = std::function<void(Exposition&)>;

  // Names must match [a-zA-Z_:][a-zA-Z0-9_:]*; counters must end in _total. The same name with
  // another type or other labels throws std::invalid_argument (a programming error).
  Counter& counter(const std::string& name, const std::string& help);
  Gauge& gauge(const std::string& name, const std::string& help);
  Histogram& histogram(const std::string& name, const std::string& help, std::vector<double> bounds);
  Family<Counter>& counter_family(const std::string& name, const std::string& help, std::vector<std::string> labels);
  Family<Histogram>& histogram_family(const std::string& name, const std::string& help,
                                      std::vector<std::string> labels, std::vector<double> bounds);

  // Called at every scrape, in registration order, after the registry's own instruments.
  // Must be thread-safe and quick (it runs on the thread serving the scrape).
  void add_collector(Collector collector);

  // The whole exposition (registry instruments, then collectors).
  std::string expose() const;
  // Adds the collectors' and instruments' output to an existing exposition.
  void write(Exposition& out) const;

 private:
  struct Entry {
    std::string name, help;
    Exposition::Type type;
    std::vector<std::string> labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    std::unique_ptr<Family<Counter>> counter_family;
    std::unique_ptr<Family<Histogram>> histogram_family;
  };
  Entry& find_or_add(const std::string& name, const std::string& help, Exposition::Type type,
                     const std::vector<std::string>& labels, bool labelled, bool* created);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Entry>> entries_;
  std::vector<Collector> collectors_;
};

// The coordinator's registry: every area registers into this one, so /metrics shows them all
// without app.cpp wiring each feature.
Registry& global();

// Shorthands for registering into global(), so that a feature's struct of instruments can name
// each one beside its member (a default member initializer) instead of in a parallel list:
//   struct FooMetrics { metrics::Counter& runs = metrics::counter("dbgcoord_foo_runs_total", "..."); };
//   FooMetrics& foo_metrics() { static FooMetrics m; return m; }
// Members are initialized, and so registered and exposed, in the order they are declared.
inline Counter& counter(const std::string& name, const std::string& help) { return global().counter(name, help); }
inline Gauge& gauge(const std::string& name, const std::string& help) { return global().gauge(name, help); }
inline Histogram& histogram(const std::string& name, const std::string& help, std::vector<double> bounds) {
  return global().histogram(name, help, std::move(bounds));
}
inline Family<Counter>& counter_family(const std::string& name, const std::string& help,
                                       std::vector<std::string> labels) {
  return global().counter_family(name, help, std::move(labels));
}

// ---- Family<T> ----

template <typename T>
T& Family<T>::with(const std::vector<std::string>& values) {
  if (values.size() != label_names_.size()) throw std::invalid_argument("metric label count mismatch");
  std::lock_guard lock(mutex_);
  auto& slot = children_[values];
  if (!slot) slot = make_();
  return *slot;
}

template <typename T>
std::vector<std::pair<std::vector<std::string>, const T*>> Family<T>::children() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::vector<std::string>, const T*>> out;
  for (const auto& [values, child] : children_) out.emplace_back(values, child.get());
  return out;
}

}  // namespace dbg::coord::metrics
