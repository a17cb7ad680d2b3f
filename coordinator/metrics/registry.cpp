#include "coordinator/metrics/registry.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace dbg::coord::metrics {

namespace {

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Integers print as integers (counts stay exact and readable); the rest with full precision.
std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    // The shortest of 15 or 17 digits that reads back exactly: bounds like 2.5e-06 print as
    // such instead of 2.4999999999999998e-06.
    std::snprintf(buf, sizeof buf, "%.15g", v);
    if (std::strtod(buf, nullptr) != v) std::snprintf(buf, sizeof buf, "%.17g", v);
  }
  return buf;
}

void append_escaped(std::string& out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

void append_labels(std::string& out, const Labels& labels) {
  if (labels.empty()) return;
  out += '{';
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    out += labels[i].first;
    out += "=\"";
    append_escaped(out, labels[i].second, true);
    out += '"';
  }
  out += '}';
}

Labels zip(const std::vector<std::string>& names, const std::vector<std::string>& values) {
  Labels out;
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) out.emplace_back(names[i], values[i]);
  return out;
}

void atomic_max(std::atomic<double>& target, double v) {
  double seen = target.load(std::memory_order_relaxed);
  while (v > seen && !target.compare_exchange_weak(seen, v, std::memory_order_relaxed)) {
  }
}

}  // namespace

// ---- Histogram ----

double HistogramSnapshot::quantile(double q) const {
  if (count == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  double rank = q * static_cast<double>(count);
  double below = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    double in_bucket = static_cast<double>(counts[i]);
    if (below + in_bucket >= rank && in_bucket > 0) {
      if (i == bounds.size()) return max;  // +Inf bucket: the largest value is the best we know
      double lower = i == 0 ? 0 : bounds[i - 1];
      double upper = bounds[i];
      double estimate = lower + (upper - lower) * ((rank - below) / in_bucket);
      return std::min(estimate, max);
    }
    below += in_bucket;
  }
  return max;
}

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  if (bounds_.empty()) throw std::invalid_argument("histogram needs at least one bucket");
  for (std::size_t i = 1; i < bounds_.size(); ++i) {
    if (!(bounds_[i] > bounds_[i - 1])) throw std::invalid_argument("histogram bounds must ascend");
  }
  counts_ = std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1);
  for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v) noexcept {
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);  // first bound >= v: le semantics
  counts_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  atomic_max(max_, v);
  count_.fetch_add(1, std::memory_order_relaxed);
}

HistogramSnapshot Histogram::snapshot() const {
  HistogramSnapshot s;
  s.bounds = bounds_;
  s.counts.resize(bounds_.size() + 1);
  // Buckets first, count from their total: a scrape racing an observation must still see
  // count == the +Inf bucket, which promtool and PromQL expect.
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    s.counts[i] = counts_[i].load(std::memory_order_relaxed);
    total += s.counts[i];
  }
  s.count = total;
  s.sum = sum_.load(std::memory_order_relaxed);
  s.max = max_.load(std::memory_order_relaxed);
  return s;
}

std::vector<double> Histogram::exponential(double start, double factor, std::size_t count) {
  std::vector<double> out;
  double v = start;
  for (std::size_t i = 0; i < count; ++i, v *= factor) out.push_back(v);
  return out;
}

// ---- Exposition ----

void Exposition::family(std::string_view name, std::string_view help, Type type) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  append_escaped(out_, help, false);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += type == Type::counter ? " counter\n" : type == Type::gauge ? " gauge\n" : " histogram\n";
}

void Exposition::sample(std::string_view name, const Labels& labels, double value) {
  out_ += name;
  append_labels(out_, labels);
  out_ += ' ';
  out_ += format_value(value);
  out_ += '\n';
}

void Exposition::histogram(std::string_view name, const Labels& labels, const HistogramSnapshot& h) {
  std::string bucket = std::string(name) + "_bucket";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= h.bounds.size(); ++i) {
    cumulative += h.counts[i];
    Labels with_le = labels;
    with_le.emplace_back("le", i == h.bounds.size() ? "+Inf" : format_value(h.bounds[i]));
    sample(bucket, with_le, static_cast<double>(cumulative));
  }
  sample(std::string(name) + "_sum", labels, h.sum);
  sample(std::string(name) + "_count", labels, static_cast<double>(h.count));
}

void Exposition::counter(std::string_view name, std::string_view help, double value) {
  family(name, help, Type::counter);
  sample(name, {}, value);
}

void Exposition::gauge(std::string_view name, std::string_view help, double value) {
  family(name, help, Type::gauge);
  sample(name, {}, value);
}

// ---- Registry ----

Registry::Entry& Registry::find_or_add(const std::string& name, const std::string& help, Exposition::Type type,
                                       const std::vector<std::string>& labels, bool labelled, bool* created) {
  if (!valid_name(name)) throw std::invalid_argument("invalid metric name: " + name);
  if (type == Exposition::Type::counter && !ends_with(name, "_total")) {
    throw std::invalid_argument("counter names end in _total: " + name);
  }
  for (const auto& l : labels) {
    if (!valid_name(l) || l == "le" || l.rfind("__", 0) == 0) throw std::invalid_argument("invalid label name: " + l);
  }
  for (auto& e : entries_) {
    if (e->name != name) continue;
    bool same_shape = e->type == type && e->labels == labels &&
                      (labelled ? (e->counter_family || e->histogram_family) : (e->counter || e->gauge || e->histogram));
    if (!same_shape) throw std::invalid_argument("metric registered twice with another shape: " + name);
    *created = false;
    return *e;
  }
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->help = help;
  e->type = type;
  e->labels = labels;
  entries_.push_back(std::move(e));
  *created = true;
  return *entries_.back();
}

Counter& Registry::counter(const std::string& name, const std::string& help) {
  std::lock_guard lock(mutex_);
  bool created;
  auto& e = find_or_add(name, help, Exposition::Type::counter, {}, false, &created);
  if (created) e.counter = std::make_unique<Counter>();
  return *e.counter;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help) {
  std::lock_guard lock(mutex_);
  bool created;
  auto& e = find_or_add(name, help, Exposition::Type::gauge, {}, false, &created);
  if (created) e.gauge = std::make_unique<Gauge>();
  return *e.gauge;
}

Histogram& Registry::histogram(const std::string& name, const std::string& help, std::vector<double> bounds) {
  std::lock_guard lock(mutex_);
  bool created;
  auto& e = find_or_add(name, help, Exposition::Type::histogram, {}, false, &created);
  if (created) e.histogram = std::make_unique<Histogram>(std::move(bounds));
  return *e.histogram;
}

Family<Counter>& Registry::counter_family(const std::string& name, const std::string& help,
                                          std::vector<std::string> labels) {
  std::lock_guard lock(mutex_);
  bool created;
  auto& e = find_or_add(name, help, Exposition::Type::counter, labels, true, &created);
  if (created) {
    e.counter_family = std::make_unique<Family<Counter>>(std::move(labels), [] { return std::make_unique<Counter>(); });
  }
  return *e.counter_family;
}

Family<Histogram>& Registry::histogram_family(const std::string& name, const std::string& help,
                                              std::vector<std::string> labels, std::vector<double> bounds) {
  std::lock_guard lock(mutex_);
  bool created;
  auto& e = find_or_add(name, help, Exposition::Type::histogram, labels, true, &created);
  if (created) {
    Histogram check(bounds);  // throws now, not at the first child
    e.histogram_family = std::make_unique<Family<Histogram>>(
        std::move(labels), [bounds = std::move(bounds)] { return std::make_unique<Histogram>(bounds); });
  }
  return *e.histogram_family;
}

void Registry::add_collector(Collector collector) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collector));
}

void Registry::write(Exposition& out) const {
  std::vector<const Entry*> entries;
  std::vector<Collector> collectors;
  {
    std::lock_guard lock(mutex_);
    for (const auto& e : entries_) entries.push_back(e.get());
    collectors = collectors_;
  }
  for (const Entry* e : entries) {
    out.family(e->name, e->help, e->type);
    if (e->counter) out.sample(e->name, {}, static_cast<double>(e->counter->value()));
    if (e->gauge) out.sample(e->name, {}, e->gauge->value());
    if (e->histogram) out.histogram(e->name, {}, e->histogram->snapshot());
    if (e->counter_family) {
      for (const auto& [values, c] : e->counter_family->children()) {
        out.sample(e->name, zip(e->labels, values), static_cast<double>(c->value()));
      }
    }
    if (e->histogram_family) {
      for (const auto& [values, h] : e->histogram_family->children()) {
        out.histogram(e->name, zip(e->labels, values), h->snapshot());
      }
    }
  }
  for (const auto& c : collectors) c(out);
}

std::string Registry::expose() const {
  Exposition out;
  write(out);
  return out.text();
}

Registry& global() {
  static Registry registry;
  return registry;
}

}  // namespace dbg::coord::metrics
