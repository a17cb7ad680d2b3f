#include "coordinator/store/snapshot_rows.hpp"

#include <bit>
#include <unordered_map>
#include <vector>

#include "coordinator/store/statement.hpp"
#include "coordinator/store/store_error.hpp"
#include "dbg/snapshot_views.hpp"

namespace dbg::coord::store {

namespace {

// The stored form of a stack: the frames' JSON without "pc" (see the stacks table). nlohmann
// objects keep keys sorted, so the text is canonical and equal stacks compare equal as text.
std::string frames_text(const std::vector<dbg::Frame>& frames) {
  auto array = nlohmann::json::array();
  for (const auto& f : frames) {
    nlohmann::json j = f;
    j.erase("pc");
    array.push_back(std::move(j));
  }
  // Names come from targets (the worker already replaced invalid UTF-8); never throw here.
  return array.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<std::uint8_t> pcs_blob(const std::vector<dbg::Frame>& frames) {
  std::vector<std::uint8_t> out;
  out.reserve(frames.size() * 8);
  for (const auto& f : frames) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>((f.pc >> (8 * i)) & 0xff));
  }
  return out;
}

uint64_t pc_at(const std::vector<std::uint8_t>& blob, std::size_t index) {
  if ((index + 1) * 8 > blob.size()) return 0;  // a short blob is damage, not a reason to fail the read
  uint64_t pc = 0;
  for (int i = 0; i < 8; ++i) pc |= static_cast<uint64_t>(blob[index * 8 + static_cast<std::size_t>(i)]) << (8 * i);
  return pc;
}

// The id of the stacks row holding exactly these frames, inserted if missing. Keyed by
// stack_hash; a row under the same key with other frames is a hash collision, so the next key is
// probed (open addressing keeps hash UNIQUE and every lookup exact).
int64_t intern_stack(StatementCache& sql, const std::vector<dbg::Frame>& frames) {
  const std::string text = frames_text(frames);
  auto key = std::bit_cast<int64_t>(dbg::stack_hash(frames));
  for (;;) {
    {
      auto find = sql.get("SELECT id, frames FROM stacks WHERE hash = ?1");
      find->bind(1, key);
      if (!find->step()) {
        auto insert = sql.get("INSERT INTO stacks (hash, frame_count, frames) VALUES (?1, ?2, ?3) RETURNING id");
        insert->bind(1, key);
        insert->bind(2, static_cast<int64_t>(frames.size()));
        insert->bind(3, std::string_view(text));
        if (!insert->step()) throw StoreError("inserting a stack returned no id");
        return insert->column_int64(0);
      }
      if (find->column_text(1) == text) return find->column_int64(0);
    }
    key = static_cast<int64_t>(static_cast<uint64_t>(key) + 1);  // wraps, no signed overflow
  }
}

// Equal as far as the stored stack is concerned (everything but pc).
bool same_stack(const std::vector<dbg::Frame>& a, const std::vector<dbg::Frame>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto& x = a[i];
    const auto& y = b[i];
    if (x.function != y.function || x.module != y.module || x.offset != y.offset || x.file != y.file ||
        x.line != y.line || x.inlined != y.inlined) {
      return false;
    }
  }
  return true;
}

std::string cache_text(const dbg::CacheStats& c) {
  return nlohmann::json{{"module_hits", c.module_hits},
                        {"module_misses", c.module_misses},
                        {"symbol_hits", c.symbol_hits},
                        {"symbol_misses", c.symbol_misses}}
      .dump();
}

dbg::CacheStats parse_cache(const std::string& text) {
  dbg::CacheStats c;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return c;
  c.module_hits = j.value("module_hits", 0ULL);
  c.module_misses = j.value("module_misses", 0ULL);
  c.symbol_hits = j.value("symbol_hits", 0ULL);
  c.symbol_misses = j.value("symbol_misses", 0ULL);
  return c;
}

// Frames of a stored stack, pcs still zero (the thread's own pcs are filled in afterwards).
std::vector<dbg::Frame> parse_frames(const std::string& text) {
  auto array = nlohmann::json::parse(text);
  std::vector<dbg::Frame> frames;
  frames.reserve(array.size());
  for (auto& j : array) {
    j["pc"] = "0x0";
    frames.push_back(j.get<dbg::Frame>());
  }
  return frames;
}

// A thread's wait as four columns from `first` on (migrations/0007_thread_waits.sql): syscall,
// addr, op, mutex owner; all NULL when it waited on nothing.
void bind_wait(Statement& insert, int first, const std::optional<dbg::ThreadWait>& wait) {
  if (!wait) {
    for (int i = 0; i < 4; ++i) insert.bind_null(first + i);
    return;
  }
  insert.bind(first, std::string_view(wait->syscall));
  insert.bind(first + 1, std::bit_cast<int64_t>(wait->addr));
  insert.bind(first + 2, static_cast<int64_t>(wait->op));
  if (wait->mutex_owner) {
    insert.bind(first + 3, static_cast<int64_t>(*wait->mutex_owner));
  } else {
    insert.bind_null(first + 3);
  }
}

std::optional<dbg::ThreadWait> column_wait(Statement& select, int first) {
  auto syscall = select.column_optional_text(first);
  if (!syscall) return std::nullopt;
  dbg::ThreadWait w;
  w.syscall = *syscall;
  w.addr = std::bit_cast<uint64_t>(select.column_int64(first + 1));
  w.op = static_cast<int>(select.column_int64(first + 2));
  if (!select.is_null(first + 3)) w.mutex_owner = static_cast<int>(select.column_int64(first + 3));
  return w;
}

}  // namespace

std::optional<int64_t> KnownStacks::find(uint64_t hash, const std::vector<dbg::Frame>& frames) const {
  auto it = entries_.find(hash);
  if (it == entries_.end() || !same_stack(it->second.frames, frames)) return std::nullopt;
  return it->second.id;
}

void KnownStacks::remember(uint64_t hash, const std::vector<dbg::Frame>& frames, int64_t id) {
  if (entries_.size() >= capacity_) entries_.clear();
  entries_.insert_or_assign(hash, Entry{frames, id});
}

int64_t insert_snapshot(StatementCache& sql, std::string_view session_id, int64_t taken_at_ms, const dbg::Snapshot& s,
                        KnownStacks* known_stacks) {
  int64_t snapshot_id = 0;
  {
    auto insert = sql.get(
        "INSERT INTO snapshots (session_id, pid, comm, consistency, taken_at, capture_us, unwind_us, thread_count, cache, "
        "capture_sched, capture_sched_reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id");
    insert->bind(1, session_id);
    insert->bind(2, s.pid);
    insert->bind(3, std::string_view(s.comm));
    insert->bind(4, std::string_view(s.consistency));
    insert->bind(5, taken_at_ms);
    insert->bind(6, s.capture_us);
    insert->bind(7, s.unwind_us);
    insert->bind(8, static_cast<int64_t>(s.threads.size()));
    insert->bind(9, std::string_view(cache_text(s.cache)));
    insert->bind(10, std::string_view(s.capture_sched));
    insert->bind(11, std::string_view(s.capture_sched_reason));
    if (!insert->step()) throw StoreError("inserting a snapshot returned no id");
    snapshot_id = insert->column_int64(0);
  }

  // Threads of one process mostly share a few stacks: look each up once per snapshot. The
  // memo is checked frame by frame, so a hash collision inside one snapshot still goes through
  // intern_stack's exact lookup.
  struct Known {
    const std::vector<dbg::Frame>* frames;
    int64_t id;
  };
  std::unordered_map<uint64_t, Known> known;
  for (std::size_t idx = 0; idx < s.threads.size(); ++idx) {
    const auto& t = s.threads[idx];
    std::optional<int64_t> stack_id;
    if (!t.frames.empty()) {
      auto hash = dbg::stack_hash(t.frames);
      auto it = known.find(hash);
      if (it != known.end() && same_stack(*it->second.frames, t.frames)) {
        stack_id = it->second.id;
      } else {
        if (known_stacks) stack_id = known_stacks->find(hash, t.frames);
        if (!stack_id) {
          stack_id = intern_stack(sql, t.frames);
          if (known_stacks) known_stacks->remember(hash, t.frames, *stack_id);
        }
        known.insert_or_assign(hash, Known{&t.frames, *stack_id});
      }
    }
    auto insert = sql.get(
        "INSERT INTO snapshot_threads (snapshot_id, idx, tid, name, state, pause_us, error_code, error_message, "
        "truncated, stack_id, pcs, wait_syscall, wait_addr, wait_op, wait_mutex_owner) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
    insert->bind(1, snapshot_id);
    insert->bind(2, static_cast<int64_t>(idx));
    insert->bind(3, t.tid);
    insert->bind(4, std::string_view(t.name));
    insert->bind(5, std::string_view(&t.state, 1));
    insert->bind(6, t.pause_us);
    if (t.error) {
      insert->bind(7, std::string_view(t.error->code));
      insert->bind(8, std::string_view(t.error->message));
    } else {
      insert->bind_null(7);
      insert->bind_null(8);
    }
    insert->bind(9, t.truncated);
    if (stack_id) {
      insert->bind(10, *stack_id);
      auto pcs = pcs_blob(t.frames);
      insert->bind_blob(11, pcs);
    } else {
      insert->bind_null(10);
      insert->bind_null(11);
    }
    bind_wait(*insert, 12, t.wait);
    insert->run();
  }
  return snapshot_id;
}

std::optional<StoredSnapshot> select_snapshot(StatementCache& sql, int64_t id) {
  StoredSnapshot out{id, {}, 0, {}};
  {
    auto select = sql.get(
        "SELECT session_id, pid, comm, consistency, taken_at, capture_us, unwind_us, cache, capture_sched, "
        "capture_sched_reason FROM snapshots WHERE id = ?1");
    select->bind(1, id);
    if (!select->step()) return std::nullopt;
    out.session_id = select->column_text(0);
    out.snapshot.pid = static_cast<int>(select->column_int64(1));
    out.snapshot.comm = select->column_text(2);
    out.snapshot.consistency = select->column_text(3);
    out.taken_at_ms = select->column_int64(4);
    out.snapshot.capture_us = select->column_double(5);
    out.snapshot.unwind_us = select->column_double(6);
    out.snapshot.cache = parse_cache(select->column_text(7));
    out.snapshot.capture_sched = select->column_text(8);
    out.snapshot.capture_sched_reason = select->column_text(9);
  }

  std::unordered_map<int64_t, std::vector<dbg::Frame>> stacks;  // parsed once per load
  auto select = sql.get(
      "SELECT t.tid, t.name, t.state, t.pause_us, t.error_code, t.error_message, t.truncated, t.stack_id, t.pcs, "
      "s.frames, t.wait_syscall, t.wait_addr, t.wait_op, t.wait_mutex_owner FROM snapshot_threads t LEFT JOIN stacks s ON s.id = t.stack_id WHERE t.snapshot_id = ?1 "
      "ORDER BY t.idx");
  select->bind(1, id);
  while (select->step()) {
    dbg::ThreadStack t;
    t.tid = static_cast<int>(select->column_int64(0));
    t.name = select->column_text(1);
    auto state = select->column_text(2);
    t.state = state.empty() ? '?' : state[0];
    t.pause_us = select->column_double(3);
    if (auto code = select->column_optional_text(4)) t.error = dbg::Error{*code, select->column_optional_text(5).value_or("")};
    t.truncated = select->column_optional_text(6);
    if (!select->is_null(7) && !select->is_null(9)) {
      auto stack_id = select->column_int64(7);
      auto it = stacks.find(stack_id);
      if (it == stacks.end()) it = stacks.emplace(stack_id, parse_frames(select->column_text(9))).first;
      t.frames = it->second;
      auto pcs = select->column_blob(8);
      for (std::size_t i = 0; i < t.frames.size(); ++i) t.frames[i].pc = pc_at(pcs, i);
    }
    t.wait = column_wait(*select, 10);
    out.snapshot.threads.push_back(std::move(t));
  }
  return out;
}

std::map<int, int64_t> select_session_snapshot_ids(StatementCache& sql, std::string_view session_id) {
  std::map<int, int64_t> ids;
  auto select = sql.get("SELECT pid, id FROM snapshots WHERE session_id = ?1 ORDER BY id");
  select->bind(1, session_id);
  while (select->step()) ids[static_cast<int>(select->column_int64(0))] = select->column_int64(1);
  return ids;
}

}  // namespace dbg::coord::store
