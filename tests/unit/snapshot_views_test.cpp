// Unit tests of the derived snapshot views (shared/include/dbg/snapshot_views.hpp): grouping by
// stack, folded stacks, grouped text, and the stack hash the store keys on.
#define BOOST_TEST_MODULE coordinator_store_views
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "dbg/snapshot_views.hpp"

using namespace dbg;

namespace {

Frame frame(std::optional<std::string> function, std::string module, uint64_t offset, uint64_t pc = 0) {
  Frame f;
  f.function = std::move(function);
  f.module = std::move(module);
  f.offset = offset;
  // Distinct pcs per call site by default, as ASLR gives different processes; grouping must not
  // look at them.
  f.pc = pc ? pc : 0x7f0000000000ULL + offset;
  return f;
}

ThreadStack thread(int tid, std::string name, std::vector<Frame> frames) {
  ThreadStack t;
  t.tid = tid;
  t.name = std::move(name);
  t.state = 'S';
  t.frames = std::move(frames);
  return t;
}

ThreadStack failed(int tid, std::string code) {
  ThreadStack t = thread(tid, "gone", {});
  t.error = Error{std::move(code), "the thread exited during the snapshot"};
  return t;
}

std::vector<Frame> wait_loop_main(uint64_t pc_shift = 0) {
  return {frame("wait", "libc.so.6", 0x10, 0x7f0000000010ULL + pc_shift), frame("loop", "app", 0x20, 0x5500000020ULL + pc_shift),
          frame("main", "app", 0x30, 0x5500000030ULL + pc_shift)};
}

// comm "app": two threads in wait/loop/main (different pcs), one with an unsymbolized frame and
// a ';' in a function name, one that failed.
Snapshot small_snapshot() {
  Snapshot s;
  s.pid = 100;
  s.comm = "app";
  s.threads.push_back(thread(101, "worker", wait_loop_main(0x1000)));
  s.threads.push_back(thread(100, "app", wait_loop_main()));
  s.threads.push_back(thread(102, "io", {frame(std::nullopt, "libfoo.so", 0xabc), frame("ns::f<a;b>", "app", 0x40),
                                         frame("main", "app", 0x30)}));
  s.threads.push_back(failed(103, "thread_gone"));
  return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(identical_stacks_group_regardless_of_pc) {
  Snapshot s = small_snapshot();
  s.threads.push_back(failed(104, "thread_gone"));
  s.threads.push_back(failed(105, "permission_denied"));
  s.threads.push_back(thread(99, "other", {frame("other", "app", 0x50)}));

  auto groups = group_by_stack(s);
  BOOST_REQUIRE_EQUAL(groups.size(), 5u);
  // Largest first; ties by lowest tid.
  BOOST_TEST(groups[0].tids == (std::vector<int>{100, 101}), boost::test_tools::per_element());
  BOOST_TEST(groups[0].names == (std::vector<std::string>{"app", "worker"}), boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(groups[0].frames.size(), 3u);
  BOOST_TEST(groups[0].frames[0].pc == 0x7f0000000010ULL);  // the lowest tid's frames
  BOOST_TEST(groups[1].tids == (std::vector<int>{103, 104}), boost::test_tools::per_element());
  BOOST_TEST(groups[1].frames.empty());
  BOOST_TEST(groups[2].tids == (std::vector<int>{99}), boost::test_tools::per_element());
  BOOST_TEST(groups[3].tids == (std::vector<int>{102}), boost::test_tools::per_element());
  BOOST_TEST(groups[4].tids == (std::vector<int>{105}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_different_offset_or_module_is_a_different_stack) {
  Snapshot s;
  s.comm = "app";
  auto base = wait_loop_main();
  auto other_offset = base;
  other_offset[1].offset = 0x21;
  auto other_module = base;
  other_module[0].module = "libc.so.7";
  s.threads = {thread(1, "a", base), thread(2, "b", other_offset), thread(3, "c", other_module), thread(4, "d", base)};
  auto groups = group_by_stack(s);
  BOOST_REQUIRE_EQUAL(groups.size(), 3u);
  BOOST_TEST(groups[0].tids.size() == 2u);
}

BOOST_AUTO_TEST_CASE(grouped_json_has_counts_tids_names_and_frames) {
  auto j = group_by_stack_json(small_snapshot());
  BOOST_TEST(j["pid"] == 100);
  BOOST_TEST(j["comm"] == "app");
  BOOST_TEST(j["thread_count"] == 4);
  BOOST_REQUIRE_EQUAL(j["groups"].size(), 3u);
  const auto& g = j["groups"][0];
  BOOST_TEST(g["count"] == 2);
  BOOST_TEST(g["tids"] == nlohmann::json({100, 101}));
  BOOST_TEST(g["names"] == nlohmann::json({"app", "worker"}));
  BOOST_TEST(g["frames"].size() == 3u);
  BOOST_TEST(g["frames"][0]["function"] == "wait");
  BOOST_TEST(g["error"].is_null());
  const auto& failed_group = j["groups"][2];
  BOOST_TEST(failed_group["tids"] == nlohmann::json({103}));
  BOOST_TEST(failed_group["error"]["code"] == "thread_gone");
  BOOST_TEST(failed_group["frames"].empty());
}

BOOST_AUTO_TEST_CASE(folded_output_is_exact) {
  const std::string expected =
      "app;[error thread_gone] 1\n"
      "app;main;loop;wait 2\n"
      "app;main;ns::f<a:b>;libfoo.so+0xabc 1\n";
  BOOST_TEST(format_folded(small_snapshot()) == expected);
}

BOOST_AUTO_TEST_CASE(folded_merges_stacks_that_fold_to_the_same_line) {
  // Same functions at other offsets: two groups, one folded line.
  Snapshot s;
  s.comm = "my;app";
  auto moved = wait_loop_main();
  moved[0].offset = 0x11;
  s.threads = {thread(1, "a", wait_loop_main()), thread(2, "b", moved), thread(3, "c", {})};
  BOOST_TEST(group_by_stack(s).size() == 3u);
  BOOST_TEST(format_folded(s) == "my:app;[no frames] 1\nmy:app;main;loop;wait 2\n");
  BOOST_TEST(format_folded(Snapshot{}) == "");
}

BOOST_AUTO_TEST_CASE(grouped_text_heads_each_group_with_its_threads) {
  Snapshot s = small_snapshot();
  s.threads[2].truncated = "max_depth";
  auto text = format_text_grouped(s);
  BOOST_TEST_INFO(text);
  BOOST_TEST(text.rfind("PID 100 (app) - 4 threads in 3 groups, consistency thread", 0) == 0u);
  auto first = text.find("\n2 threads: 100,101 (app, worker)\n"
                         "#0  0x00007f0000000010 wait - libc.so.6+0x10\n"
                         "#1  0x0000005500000020 loop - app+0x20\n"
                         "#2  0x0000005500000030 main - app+0x30\n");
  BOOST_TEST(first != std::string::npos);
  auto second = text.find("\n1 thread: 102 (io)\n#0  0x00007f0000000abc ?? - libfoo.so+0xabc\n");
  BOOST_TEST(second != std::string::npos);
  BOOST_TEST(first < second);
  BOOST_TEST(text.find("  ... truncated (max_depth)\n") != std::string::npos);
  BOOST_TEST(text.find("\n1 thread: 103 (gone)\n  error thread_gone: the thread exited during the snapshot\n") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(stack_hash_is_stable_and_ignores_pc) {
  // Expected values computed independently (FNV-1a 64 over the documented byte layout), so a
  // change to the hash, which would split every stored stack in two, fails here.
  BOOST_TEST(stack_hash({}) == 0xa8c7f832281a39c5ULL);
  Frame main = frame("main", "app", 0x1139, 0x55aa00001139ULL);
  main.file = "app.c";
  main.line = 7;
  std::vector<Frame> frames = {main, frame(std::nullopt, "libc.so.6", 0x29d90)};
  BOOST_TEST(stack_hash(frames) == 0x8682cf53e7351657ULL);

  auto moved = frames;
  moved[0].pc += 0x1000;
  moved[1].pc += 0x1000;
  BOOST_TEST(stack_hash(moved) == stack_hash(frames));
  auto other_line = frames;
  other_line[0].line = 8;
  BOOST_TEST(stack_hash(other_line) != stack_hash(frames));
  auto inlined = frames;
  inlined[0].inlined = true;
  BOOST_TEST(stack_hash(inlined) != stack_hash(frames));
  // Field boundaries count: "ab"+"c" is not "a"+"bc".
  BOOST_TEST(stack_hash({frame("ab", "c", 0)}) != stack_hash({frame("a", "bc", 0)}));
}
