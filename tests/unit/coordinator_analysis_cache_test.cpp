// The error pattern cache and the similarity index, on their own: LRU eviction order, hit /
// miss / eviction / invalidation counters, invalidation by feature hash; MinHash scores and the
// index's ranking, self-exclusion and bound.
#define BOOST_TEST_MODULE coordinator_analysis_cache
#include <boost/test/unit_test.hpp>

#include "coordinator/analysis/analysis_cache.hpp"
#include "coordinator/analysis/similarity_index.hpp"

using namespace dbg::coord::analysis;

namespace {

Analysis with_class(const std::string& cls, std::uint64_t hash = 1) {
  Analysis a;
  a.cls = cls;
  a.confidence = 0.9;
  a.feature_hash = hash;
  return a;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_least_recently_used_entry_is_evicted_first) {
  AnalysisCache cache(3);
  cache.put("a", with_class("abort"));
  cache.put("b", with_class("bus_error"));
  cache.put("c", with_class("deadlock"));
  BOOST_TEST(cache.find("a", 1).has_value());  // a is now the most recently used: b is oldest
  cache.put("d", with_class("busy_hang"));     // evicts b
  BOOST_TEST(!cache.find("b", 1).has_value());
  BOOST_TEST(cache.find("c", 1).has_value());  // newest first: c, d, a
  cache.put("e", with_class("unknown"));       // evicts a, the least recently used
  BOOST_TEST(!cache.find("a", 1).has_value());
  BOOST_TEST(cache.find("d", 1)->cls == "busy_hang");
  BOOST_TEST(cache.find("e", 1)->cls == "unknown");
  auto s = cache.stats();
  BOOST_TEST(s.entries == 3u);
  BOOST_TEST(s.capacity == 3u);
  BOOST_TEST(s.evictions == 2u);
  BOOST_TEST(s.hits == 4u);    // a, c, d, e
  BOOST_TEST(s.misses == 2u);  // b, a
  BOOST_TEST(*s.hit_rate() == 4.0 / 6.0);
  BOOST_TEST(s.invalidations == 0u);
}

BOOST_AUTO_TEST_CASE(a_lookup_with_other_features_invalidates_the_entry) {
  AnalysisCache cache(10);
  BOOST_TEST(!cache.stats().hit_rate().has_value());
  cache.put("sig", with_class("abort", 111));
  BOOST_TEST(cache.find("sig", 111).has_value());
  // The group's latest event looks different now: the cached class must not be served.
  BOOST_TEST(!cache.find("sig", 222).has_value());
  BOOST_TEST(!cache.find("sig", 111).has_value());  // dropped, not kept for the old features
  auto s = cache.stats();
  BOOST_TEST(s.invalidations == 1u);
  BOOST_TEST(s.hits == 1u);
  BOOST_TEST(s.misses == 2u);
  BOOST_TEST(s.entries == 0u);
}

BOOST_AUTO_TEST_CASE(replacing_an_entry_keeps_one_copy) {
  AnalysisCache cache(2);
  cache.put("x", with_class("abort"));
  cache.put("x", with_class("deadlock"));
  BOOST_TEST(cache.stats().entries == 1u);
  BOOST_TEST(cache.find("x", 1)->cls == "deadlock");
  BOOST_TEST(cache.stats().evictions == 0u);
}

BOOST_AUTO_TEST_CASE(minhash_scores_shared_call_paths_above_unrelated_ones) {
  std::vector<std::string> parse_a{"app!parse_header", "app!read_request", "app!serve"};
  std::vector<std::string> parse_b{"app!parse_cookie", "app!read_request", "app!serve"};
  std::vector<std::string> render{"app!draw_glyph", "app!render_page", "app!paint"};
  const auto a = min_hash(parse_a, "SIGSEGV"), b = min_hash(parse_b, "SIGSEGV"), r = min_hash(render, "SIGSEGV");
  BOOST_TEST(estimated_jaccard(a, a) == 1.0);
  BOOST_TEST(estimated_jaccard(a, b) > 0.2);   // true Jaccard 3/7
  BOOST_TEST(estimated_jaccard(a, r) < 0.1);   // true Jaccard 0
  BOOST_TEST(estimated_jaccard(a, b) > estimated_jaccard(a, r));
  // Frameless groups: one shingle of their class.
  BOOST_TEST(estimated_jaccard(min_hash({}, "exit"), min_hash({}, "exit")) == 1.0);
  BOOST_TEST(estimated_jaccard(min_hash({}, "exit"), min_hash({}, "ValueError")) < 0.1);
}

BOOST_AUTO_TEST_CASE(the_index_ranks_similar_groups_leaves_out_self_and_stays_bounded) {
  SimilarityIndex index(3);
  const std::vector<std::string> base{"m!f", "m!g", "m!h", "m!i"};
  index.add(1, min_hash(base, "SIGSEGV"), "SIGSEGV/SEGV_MAPERR", "one");
  index.add(2, min_hash({"m!f", "m!g", "m!h", "m!x"}, "SIGSEGV"), "SIGSEGV/SEGV_MAPERR", "two");
  index.add(3, min_hash({"m!f", "m!y", "m!z", "m!w"}, "SIGSEGV"), "SIGSEGV/SEGV_MAPERR", "three");
  const auto g0 = index.generation();
  auto similar = index.similar(1, min_hash(base, "SIGSEGV"));
  BOOST_REQUIRE(!similar.empty());
  BOOST_TEST(similar.front().id == 2);  // shares three functions and two call pairs
  for (const auto& s : similar) BOOST_TEST(s.id != 1);
  for (std::size_t i = 1; i < similar.size(); ++i) BOOST_TEST(similar[i - 1].score >= similar[i].score);
  BOOST_TEST(similar.front().message == "two");
  // A fourth group evicts the least recently seen (1): the bound holds.
  index.add(4, min_hash({"n!a"}, "SIGFPE"), "SIGFPE/FPE_INTDIV", "four");
  BOOST_TEST(index.size() == 3u);
  BOOST_TEST(!index.contains(1));
  BOOST_TEST(index.generation() > g0);
  BOOST_TEST(index.similar(4, min_hash({"n!a"}, "SIGFPE")).empty());  // nothing like it
}
