#include "coordinator/archive/archive_summary.hpp"

#include <algorithm>
#include <type_traits>

namespace dbg::coord::archive {

namespace {

constexpr int64_t kIntegerColumns = 7;  // id, group_id, prev_id, received_at, timestamp, pid, stack_id

// [{"<name>": value, "count": n}, ...], most frequent first: the order a reader wants.
template <typename Key>
nlohmann::json tally_json(const Tally<Key>& t, const char* name) {
  std::vector<std::pair<const Key*, int64_t>> items;
  items.reserve(t.counts.size());
  for (const auto& [key, n] : t.counts) items.emplace_back(&key, n);
  std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  auto out = nlohmann::json::array();
  for (const auto& [key, n] : items) out.push_back(nlohmann::json{{name, *key}, {"count", n}});
  return out;
}

template <typename Key>
bool tally_from_json(const nlohmann::json& j, const char* list, const char* name, Tally<Key>* t) {
  auto it = j.find(list);
  if (it == j.end() || !it->is_object()) return false;
  const auto& values = it->value("values", nlohmann::json());
  if (!values.is_array()) return false;
  for (const auto& v : values) {
    if (!v.is_object() || !v.contains(name) || !v.contains("count") || !v.at("count").is_number_integer()) return false;
    if constexpr (std::is_same_v<Key, std::string>) {
      if (!v.at(name).is_string()) return false;
    } else {
      if (!v.at(name).is_number_integer()) return false;
    }
    t->counts[v.at(name).template get<Key>()] += v.at("count").template get<int64_t>();
  }
  const auto& other = it->value("other", nlohmann::json(0));
  if (!other.is_number_integer()) return false;
  t->other = other.get<int64_t>();
  return true;
}

template <typename Key>
nlohmann::json tally_block(const Tally<Key>& t, const char* name) {
  return nlohmann::json{{"distinct", t.counts.size()}, {"other", t.other}, {"values", tally_json(t, name)}};
}

template <typename Key>
void merge_tally(Tally<Key>& into, const Tally<Key>& from) {
  for (const auto& [key, n] : from.counts) into.add(key, n);
  into.other += from.other;
}

std::string dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

// The sample as JSON text; the context is spliced in as the text it was stored as, never
// parsed, when it is valid JSON (the error service wrote it); otherwise kept as a string.
std::string sample_of(const RawEvent& e) {
  nlohmann::json head{{"id", e.id},       {"timestamp", e.timestamp}, {"received_at", e.received_at},
                      {"source", e.source}, {"kind", e.kind},          {"type", e.type},
                      {"message", e.message}, {"pid", e.pid},          {"comm", e.comm},
                      {"stack_id", e.stack_id}};
  std::string text = dump(head);
  text.pop_back();  // '}'
  text += ",\"context\":";
  if (nlohmann::json::accept(e.context_json)) {
    text += e.context_json;
  } else {
    text += dump(nlohmann::json(e.context_json));
  }
  text += '}';
  return text;
}

}  // namespace

int64_t raw_size(const RawEvent& e) {
  return static_cast<int64_t>(e.source.size() + e.kind.size() + e.type.size() + e.message.size() + e.comm.size() +
                              e.context_json.size()) +
         8 * kIntegerColumns;
}

int64_t window_start_of(int64_t timestamp_ms, int64_t window_ms) {
  // Floor, not truncation: a (hypothetical) negative timestamp still lands in the window below.
  int64_t q = timestamp_ms / window_ms;
  if (timestamp_ms % window_ms < 0) --q;
  return q * window_ms;
}

ArchiveSummary::ArchiveSummary(int64_t group_id, int64_t window_start, int64_t window_end)
    : group_id_(group_id), window_start_(window_start), window_end_(window_end) {}

void ArchiveSummary::add(const RawEvent& e) {
  if (event_count_ == 0) {
    first_seen_ = last_seen_ = e.timestamp;
    first_received_ = last_received_ = e.received_at;
  }
  ++event_count_;
  first_seen_ = std::min(first_seen_, e.timestamp);
  last_seen_ = std::max(last_seen_, e.timestamp);
  first_received_ = std::min(first_received_, e.received_at);
  last_received_ = std::max(last_received_, e.received_at);
  raw_bytes_ += raw_size(e);
  messages_.add(e.message);
  types_.add(e.type);
  comms_.add(e.comm);
  sources_.add(e.source);
  kinds_.add(e.kind);
  pids_.add(e.pid);
  stacks_.add(e.stack_id);
  if (samples_.size() < kMaxSamples) samples_.push_back(sample_of(e));
}

void ArchiveSummary::merge(const ArchiveSummary& later) {
  if (later.event_count_ == 0) return;
  if (event_count_ == 0) {
    first_seen_ = later.first_seen_;
    last_seen_ = later.last_seen_;
    first_received_ = later.first_received_;
    last_received_ = later.last_received_;
  }
  event_count_ += later.event_count_;
  first_seen_ = std::min(first_seen_, later.first_seen_);
  last_seen_ = std::max(last_seen_, later.last_seen_);
  first_received_ = std::min(first_received_, later.first_received_);
  last_received_ = std::max(last_received_, later.last_received_);
  raw_bytes_ += later.raw_bytes_;
  merge_tally(messages_, later.messages_);
  merge_tally(types_, later.types_);
  merge_tally(comms_, later.comms_);
  merge_tally(sources_, later.sources_);
  merge_tally(kinds_, later.kinds_);
  merge_tally(pids_, later.pids_);
  merge_tally(stacks_, later.stacks_);
  for (const auto& s : later.samples_) {
    if (samples_.size() >= kMaxSamples) break;
    samples_.push_back(s);
  }
}

std::string ArchiveSummary::to_text() const {
  nlohmann::json j{{"version", 1},
                   {"group_id", group_id_},
                   {"window_start", window_start_},
                   {"window_end", window_end_},
                   {"event_count", event_count_},
                   {"first_seen", first_seen_},
                   {"last_seen", last_seen_},
                   {"first_received_at", first_received_},
                   {"last_received_at", last_received_},
                   {"raw_bytes", raw_bytes_},
                   {"messages", tally_block(messages_, "message")},
                   {"types", tally_block(types_, "type")},
                   {"comms", tally_block(comms_, "comm")},
                   {"pids", tally_block(pids_, "pid")},
                   {"sources", tally_block(sources_, "source")},
                   {"kinds", tally_block(kinds_, "kind")},
                   {"stacks", tally_block(stacks_, "stack_id")}};
  std::string text = dump(j);
  text.pop_back();  // '}'
  text += ",\"samples\":[";
  for (std::size_t i = 0; i < samples_.size(); ++i) {
    if (i) text += ',';
    text += samples_[i];
  }
  text += "]}";
  return text;
}

nlohmann::json ArchiveSummary::to_json() const { return nlohmann::json::parse(to_text()); }

Result<ArchiveSummary> ArchiveSummary::from_json(const nlohmann::json& j) {
  auto corrupt = [] { return Error{"corrupt", "an archive summary is not in the expected shape"}; };
  if (!j.is_object()) return corrupt();
  for (const char* key : {"group_id", "window_start", "window_end", "event_count", "first_seen", "last_seen",
                          "first_received_at", "last_received_at", "raw_bytes"}) {
    if (!j.contains(key) || !j.at(key).is_number_integer()) return corrupt();
  }
  ArchiveSummary s(j.at("group_id").get<int64_t>(), j.at("window_start").get<int64_t>(), j.at("window_end").get<int64_t>());
  s.event_count_ = j.at("event_count").get<int64_t>();
  s.first_seen_ = j.at("first_seen").get<int64_t>();
  s.last_seen_ = j.at("last_seen").get<int64_t>();
  s.first_received_ = j.at("first_received_at").get<int64_t>();
  s.last_received_ = j.at("last_received_at").get<int64_t>();
  s.raw_bytes_ = j.at("raw_bytes").get<int64_t>();
  if (!tally_from_json(j, "messages", "message", &s.messages_) || !tally_from_json(j, "types", "type", &s.types_) ||
      !tally_from_json(j, "comms", "comm", &s.comms_) || !tally_from_json(j, "pids", "pid", &s.pids_) ||
      !tally_from_json(j, "sources", "source", &s.sources_) || !tally_from_json(j, "kinds", "kind", &s.kinds_) ||
      !tally_from_json(j, "stacks", "stack_id", &s.stacks_)) {
    return corrupt();
  }
  const auto& samples = j.value("samples", nlohmann::json());
  if (!samples.is_array()) return corrupt();
  for (const auto& sample : samples) {
    if (s.samples_.size() < kMaxSamples) s.samples_.push_back(dump(sample));
  }
  return s;
}

}  // namespace dbg::coord::archive
