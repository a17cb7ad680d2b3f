// The ErrorService's parts alone: event preparation (bounds, defaults, the memo's signature
// reuse, stacks shared within a body) and the group cache on a real Store (a SQLite file in a
// temporary directory): rows written lazily, a dirty group written before it is evicted, and a
// failed flush that drops the cache so that the next write reads back what SQLite kept.
#define BOOST_TEST_MODULE coordinator_errors_parts
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>
#include <future>
#include <stdexcept>

#include "coordinator/errors/event_preparation.hpp"
#include "coordinator/errors/group_cache.hpp"
#include "coordinator/errors/signature.hpp"
#include "coordinator/store/statement.hpp"
#include "coordinator/store/store.hpp"
#include "temp_store.hpp"

using namespace dbg::coord;
using namespace dbg::coord::errors;

namespace {

ErrorEvent event_at(const std::string& function, const std::string& type = "SIGSEGV/SEGV_MAPERR") {
  ErrorEvent e;
  e.type = type;
  e.message = "boom";
  dbg::Frame f;
  f.function = function;
  f.module = "app";
  f.offset = 0x10;
  e.frames = {f};
  return e;
}

// A Store on a database of its own, removed afterwards, and the group rows it holds.
struct StoreFixture : dbg::coord::test::TempStore {
  // The group's row as committed.
  int64_t stored_count(const std::string& signature) {
    int64_t count = -1;
    BOOST_REQUIRE(write([&](store::StatementCache& sql) {
                    if (auto row = select_group_counts(sql, signature)) count = row->count;
                  }).ok());
    return count;
  }
};

// A new group row (count 0) and its counts as the cache would hold them after `count` events.
GroupCounts new_group(store::StatementCache& sql, const std::string& signature, int64_t count) {
  GroupCounts g;
  g.id = insert_group(sql, NewGroupRow{signature, "segv", "SIGSEGV", "boom", intern_stack(sql, "[]"), "[]", 1000});
  g.count = count;
  g.first_seen = g.last_seen = g.status_changed_at = 1000;
  return g;
}

// One write: settles the cache, then caches a new dirty group per (signature, count), in order.
dbg::Result<void> seed(StoreFixture& fx, GroupCache& cache, std::vector<std::pair<std::string, int64_t>> groups) {
  return fx.write([&](store::StatementCache& sql) {
    cache.settle(sql);
    for (const auto& [signature, count] : groups) cache.put(sql, signature, CachedGroup{new_group(sql, signature, count), true});
  });
}

}  // namespace

BOOST_AUTO_TEST_CASE(preparing_bounds_the_texts_and_fills_the_defaults) {
  ErrorEvent e = event_at("f");
  e.type = std::string(300, 't');
  std::string message;
  for (int i = 0; i < 600; ++i) message += "\xC3\xA9";  // é: two bytes, one character
  e.message = message;
  e.comm = std::string(100, 'c');
  const PreparedEvent p = prepare_event(e, 1234);
  BOOST_TEST(p.event.type.size() == kMaxTypeBytes);
  BOOST_TEST(p.event.message.size() == 2 * kMaxMessageChars);  // 500 characters, not bytes
  BOOST_TEST(p.event.comm.size() == kMaxCommBytes);
  BOOST_TEST(p.event.source == "api");
  BOOST_TEST(p.event.kind == "reported");
  BOOST_TEST(p.event.timestamp_ms == 1234);
  BOOST_TEST(p.received_at == 1234);
  BOOST_TEST(p.event.frames.empty());  // they are in the stack
  BOOST_REQUIRE(p.stack);
  BOOST_TEST(p.stack->signature_frames.size() == 1u);
  BOOST_TEST(p.context_json == "{}");
  BOOST_TEST(p.signature.size() == 32u);

  ErrorEvent untyped = event_at("f");
  untyped.type.clear();
  untyped.source = "watch";
  untyped.timestamp_ms = 99;
  const PreparedEvent q = prepare_event(untyped, 1234);
  BOOST_TEST(q.event.type == "unknown");
  BOOST_TEST(q.event.source == "watch");
  BOOST_TEST(q.event.timestamp_ms == 99);
}

BOOST_AUTO_TEST_CASE(a_memo_entry_lends_its_signature_only_to_the_same_error_class) {
  const ErrorEvent e = event_at("f");
  const std::string fresh = prepare_event(e, 1).signature;
  StackMemo::Entry entry;
  entry.stack = prepare_stack(e.frames);
  entry.error_class = error_class_of(e.type);
  entry.signature = "signature from the memo";
  BOOST_TEST(prepare_event(e, 1, entry.stack, &entry).signature == "signature from the memo");

  // Another class: signed anew, and the entry remembers that signature for the next event.
  const ErrorEvent other = event_at("f", "exit/3");
  const PreparedEvent p = prepare_event(other, 1, entry.stack, &entry);
  BOOST_TEST(p.signature != "signature from the memo");
  BOOST_TEST(p.signature == prepare_event(other, 1).signature);
  BOOST_TEST(entry.signature == p.signature);
  BOOST_TEST(entry.error_class == p.error_class);
  BOOST_TEST(fresh != p.signature);
}

BOOST_AUTO_TEST_CASE(a_body_repeating_a_frames_text_prepares_it_once_and_the_memo_keeps_it) {
  const std::string body = R"([{"function":"f"}] [{"function":"g"}])";
  const std::string_view text_f(body.data(), 18), text_g(body.data() + 19, 18);
  ParsedEvents parsed;
  parsed.events = {event_at("f"), event_at("f"), event_at("g")};
  parsed.frames_text = {text_f, text_f, text_g};
  parsed.known = {nullptr, nullptr, nullptr};
  StackMemo memo(16);
  auto batch = prepare_body(memo, std::move(parsed), 5);
  BOOST_REQUIRE_EQUAL(batch->size(), 3u);
  BOOST_TEST((*batch)[0]->stack.get() == (*batch)[1]->stack.get());
  BOOST_TEST((*batch)[0]->stack.get() != (*batch)[2]->stack.get());
  BOOST_TEST((*batch)[0]->signature == (*batch)[1]->signature);
  BOOST_TEST(memo.size() == 2u);
  StackMemo::Entry* known = memo.find(text_f);
  BOOST_REQUIRE(known);
  BOOST_TEST(known->stack.get() == (*batch)[0]->stack.get());
}

BOOST_AUTO_TEST_CASE(cached_counts_reach_their_row_only_when_flushed) {
  StoreFixture fx;
  GroupCache cache(10);
  BOOST_REQUIRE(seed(fx, cache, {{"sig", 3}}).ok());
  BOOST_TEST(fx.stored_count("sig") == 0);  // the row lags behind the cache
  BOOST_REQUIRE(fx.write([&](store::StatementCache& sql) { cache.flush_or_drop(sql); }).ok());
  BOOST_TEST(fx.stored_count("sig") == 3);
  BOOST_TEST(cache.stats().size == 1u);
}

BOOST_AUTO_TEST_CASE(a_dirty_group_is_written_before_it_is_evicted) {
  StoreFixture fx;
  GroupCache cache(1);
  BOOST_REQUIRE(seed(fx, cache, {{"a", 2}, {"b", 5}}).ok());
  BOOST_TEST(fx.stored_count("a") == 2);  // evicted for b, so written
  BOOST_TEST(fx.stored_count("b") == 0);  // still cached, still dirty
  BOOST_TEST(cache.stats().size == 1u);
}

BOOST_AUTO_TEST_CASE(a_failed_flush_drops_the_cache_and_the_next_write_reads_the_row_back) {
  StoreFixture fx;
  GroupCache cache(10);
  BOOST_REQUIRE(seed(fx, cache, {{"sig", 3}}).ok());
  BOOST_REQUIRE(fx.write([&](store::StatementCache& sql) { cache.flush_or_drop(sql); }).ok());
  bool dropped = false;
  auto failed = fx.write([&](store::StatementCache& sql) {
    CachedGroup* g = cache.find("sig");
    if (!g) throw std::logic_error("the group is not cached");  // (no Boost.Test off its thread)
    g->counts.count = 7;
    g->dirty = true;
    // The flush's UPDATE finds no table; the whole write (the rename too) is rolled back.
    sql.get("ALTER TABLE error_groups RENAME TO error_groups_away")->run();
    try {
      cache.flush_or_drop(sql);
    } catch (...) {
      dropped = cache.stats().size == 0;
      throw;
    }
  });
  BOOST_TEST(!failed.ok());
  BOOST_TEST(dropped);
  BOOST_TEST(fx.stored_count("sig") == 3);
  const auto misses_before = cache.stats().misses;
  std::optional<GroupCounts> read_back;
  BOOST_REQUIRE(fx.write([&](store::StatementCache& sql) {
                  cache.settle(sql);
                  read_back = cache.lookup(sql, "sig");
                }).ok());
  BOOST_REQUIRE(read_back);
  BOOST_TEST(read_back->count == 3);  // what SQLite kept, not the 7 the failed write knew
  BOOST_TEST(cache.stats().misses == misses_before + 1);
}
