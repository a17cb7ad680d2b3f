// Grouped and folded views of a snapshot. Everything here is a pure function of the Snapshot,
// so the API can serve any view of a stored snapshot without storing the view.
#include "dbg/snapshot_views.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <utility>

namespace dbg {

namespace {

// Grouping key. Length-prefixed fields, so no function or module name can make two different
// stacks produce the same key.
void append_field(std::string& key, std::string_view field) {
  key += std::to_string(field.size());
  key += ':';
  key += field;
}

std::string group_key(const ThreadStack& t) {
  std::string key;
  if (t.frames.empty()) {
    // No stack to compare: threads that failed the same way belong together ("thread_gone" x 3),
    // and stay apart from threads that simply have no frames.
    key = t.error ? "E" : "N";
    if (t.error) append_field(key, t.error->code);
    return key;
  }
  key = "F";
  for (const auto& f : t.frames) {
    if (f.function) {
      key += '+';
      append_field(key, *f.function);
    } else {
      key += '-';
    }
    append_field(key, f.module);
    key += hex(f.offset);
    key += f.inlined ? 'i' : '.';
  }
  return key;
}

const ThreadStack* find_thread(const Snapshot& s, int tid) {
  for (const auto& t : s.threads) {
    if (t.tid == tid) return &t;
  }
  return nullptr;
}

// The thread a group was built from (its lowest tid): source of the error and truncation shown
// for the whole group.
const ThreadStack* representative(const Snapshot& s, const StackGroup& g) {
  return g.tids.empty() ? nullptr : find_thread(s, g.tids.front());
}

// A folded line is split on ';' (frames) and on its last space (count); a newline would end
// the line. Replace what would break it, keep everything else (spaces in C++ names are fine).
std::string folded_name(std::string_view name) {
  std::string out(name);
  for (auto& c : out) {
    if (c == ';') c = ':';
    else if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

std::string folded_frame(const Frame& f) {
  if (f.function) return folded_name(*f.function);
  return folded_name(f.module + "+" + hex(f.offset));
}

// FNV-1a, 64 bit (http://www.isthe.com/chongo/tech/comp/fnv/).
class Fnv1a {
 public:
  void bytes(std::string_view data) {
    for (unsigned char c : data) {
      hash_ ^= c;
      hash_ *= 0x100000001b3ULL;
    }
  }
  // Little-endian whatever the host, so the hash is the same on every machine.
  void u64(uint64_t v) {
    char buf[8];
    for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    bytes(std::string_view(buf, 8));
  }
  void flag(bool b) { bytes(b ? std::string_view("\x01", 1) : std::string_view("\x00", 1)); }
  void text(std::string_view s) {
    u64(s.size());
    bytes(s);
  }
  void optional_text(const std::optional<std::string>& s) {
    flag(s.has_value());
    if (s) text(*s);
  }
  uint64_t value() const { return hash_; }

 private:
  uint64_t hash_ = 0xcbf29ce484222325ULL;
};

}  // namespace

uint64_t stack_hash(const std::vector<Frame>& frames) {
  Fnv1a h;
  h.u64(frames.size());
  for (const auto& f : frames) {
    h.optional_text(f.function);
    h.text(f.module);
    h.u64(f.offset);
    h.optional_text(f.file);
    h.flag(f.line.has_value());
    if (f.line) h.u64(static_cast<uint64_t>(static_cast<int64_t>(*f.line)));
    h.flag(f.inlined);
  }
  return h.value();
}

std::vector<StackGroup> group_by_stack(const Snapshot& s) {
  // Threads sorted by tid first, so every group's tids come out ascending and its frames are
  // the lowest tid's.
  std::vector<const ThreadStack*> threads;
  threads.reserve(s.threads.size());
  for (const auto& t : s.threads) threads.push_back(&t);
  std::stable_sort(threads.begin(), threads.end(), [](auto* a, auto* b) { return a->tid < b->tid; });

  std::map<std::string, size_t> index_of_key;
  std::vector<StackGroup> groups;
  for (const auto* t : threads) {
    auto [it, added] = index_of_key.try_emplace(group_key(*t), groups.size());
    if (added) groups.push_back(StackGroup{{}, {}, t->frames});
    auto& g = groups[it->second];
    g.tids.push_back(t->tid);
    g.names.push_back(t->name);
  }
  std::stable_sort(groups.begin(), groups.end(), [](const StackGroup& a, const StackGroup& b) {
    if (a.tids.size() != b.tids.size()) return a.tids.size() > b.tids.size();
    return a.tids.front() < b.tids.front();
  });
  return groups;
}

nlohmann::json group_by_stack_json(const Snapshot& s) {
  auto groups = group_by_stack(s);
  auto out_groups = nlohmann::json::array();
  for (const auto& g : groups) {
    const auto* rep = representative(s, g);
    nlohmann::json error = nullptr;
    if (rep && rep->error && g.frames.empty()) error = *rep->error;
    nlohmann::json truncated = nullptr;
    if (rep && rep->truncated) truncated = *rep->truncated;
    out_groups.push_back({{"count", g.tids.size()},
                          {"tids", g.tids},
                          {"names", g.names},
                          {"stack_hash", hex(stack_hash(g.frames))},
                          {"error", error},
                          {"truncated", truncated},
                          {"frames", g.frames}});
  }
  return {{"pid", s.pid},
          {"comm", s.comm},
          {"consistency", s.consistency},
          {"thread_count", s.threads.size()},
          {"groups", std::move(out_groups)}};
}

std::string format_text_grouped(const Snapshot& s) {
  auto groups = group_by_stack(s);
  std::string out = "PID " + std::to_string(s.pid) + " (" + s.comm + ") - " + std::to_string(s.threads.size()) +
                    " threads in " + std::to_string(groups.size()) + " groups, consistency " + s.consistency +
                    ", capture " + format_duration_us(s.capture_us) + ", unwind " + format_duration_us(s.unwind_us) + "\n";
  for (const auto& g : groups) {
    out += "\n" + std::to_string(g.tids.size()) + (g.tids.size() == 1 ? " thread: " : " threads: ");
    for (size_t i = 0; i < g.tids.size(); ++i) {
      if (i) out += ',';
      out += std::to_string(g.tids[i]);
    }
    // Distinct names in order of first appearance: "worker" once, not 200 times.
    std::set<std::string_view> seen;
    std::string names;
    for (const auto& n : g.names) {
      if (!seen.insert(n).second) continue;
      if (!names.empty()) names += ", ";
      names += n;
    }
    out += " (" + names + ")\n";
    const auto* rep = representative(s, g);
    if (rep && rep->error && g.frames.empty()) out += "  error " + rep->error->code + ": " + rep->error->message + "\n";
    for (size_t i = 0; i < g.frames.size(); ++i) append_frame_text(out, i, g.frames[i]);
    if (rep && rep->truncated) out += "  ... truncated (" + *rep->truncated + ")\n";
  }
  return out;
}

std::string format_folded(const Snapshot& s) {
  // Merged by the folded text rather than by group: two stacks that differ only in offsets
  // inside the same functions fold to the same line, and a line must appear once.
  std::map<std::string, size_t> counts;
  const std::string comm = folded_name(s.comm);
  for (const auto& t : s.threads) {
    std::string line = comm;
    if (t.frames.empty()) {
      line += ";" + (t.error ? "[error " + folded_name(t.error->code) + "]" : std::string("[no frames]"));
    }
    // frames[0] is the innermost frame; folded stacks read from the root.
    for (auto it = t.frames.rbegin(); it != t.frames.rend(); ++it) line += ";" + folded_frame(*it);
    ++counts[line];
  }
  std::string out;
  for (const auto& [line, count] : counts) out += line + " " + std::to_string(count) + "\n";
  return out;
}

}  // namespace dbg
