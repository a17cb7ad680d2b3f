// The profile model and its exports, on a profile built by hand: JSON round trip and index
// checks, folded text (escaping, merging, per thread), speedscope totals and shared frames, the
// protobuf writer's wire bytes, zlib/gzip round trips. End-to-end checks with independent tools
// are in coordinator_profiles_test.
#define BOOST_TEST_MODULE coordinator_profile_exports
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "coordinator/profiles/profile_exports.hpp"
#include "coordinator/profiles/protobuf_writer.hpp"
#include "coordinator/profiles/zlib_codec.hpp"
#include "dbg/profile.hpp"

using namespace dbg;
using namespace dbg::coord::profiles;

namespace {

Frame frame(std::optional<std::string> function, std::string module, uint64_t offset, bool inlined = false) {
  Frame f;
  f.function = std::move(function);
  f.module = std::move(module);
  f.offset = offset;
  f.inlined = inlined;
  if (f.function) {
    f.file = "/src/app.cc";
    f.line = 10;
  }
  return f;
}

// Two threads; main -> work;step (';' in a name), main -> idle, and an unsymbolized frame.
Profile sample_profile() {
  Profile p;
  p.pid = 42;
  p.comm = "app";
  p.hz_requested = 99;
  p.hz_effective = 90;
  p.elapsed_s = 2;
  p.modules = {{"app", "/usr/bin/app", "abcd", 0x1000, 0x9000}};
  p.frames = {frame("main", "app", 0x100), frame("work;step", "app", 0x200), frame("inlined_helper", "app", 0x200, true),
              frame(std::nullopt, "libx.so", 0x300), frame("idle", "app", 0x400)};
  p.locations = {{0x1100, 0, {0}}, {0x1200, 0, {2, 1}}, {0x7300, -1, {3}}, {0x1400, 0, {4}}};
  p.stacks = {{1, 0}, {2, 1, 0}, {3, 0}};  // innermost first
  p.threads = {{100, "main", 0}, {101, "worker", 0}};
  p.counts = {{0, 0, 5, 5000}, {0, 1, 2, 2000}, {1, 0, 3, 3000}, {1, 2, 10, 0}};
  for (const auto& c : p.counts) {
    p.threads[c.thread].samples += c.samples;
    p.samples += c.samples;
  }
  return p;
}

}  // namespace

BOOST_AUTO_TEST_CASE(profile_json_round_trips_and_refuses_indices_out_of_range) {
  Profile p = sample_profile();
  nlohmann::json j = p;
  Profile back = j.get<Profile>();
  BOOST_TEST(nlohmann::json(back) == j);
  BOOST_TEST(back.locations[1].frames.size() == 2u);
  nlohmann::json bad = j;
  bad["counts"][0][1] = 99;  // no stack 99
  BOOST_CHECK_THROW(bad.get<Profile>(), std::exception);
  bad = j;
  bad["locations"][0]["frames"][0] = 99;
  BOOST_CHECK_THROW(bad.get<Profile>(), std::exception);
}

BOOST_AUTO_TEST_CASE(folded_merges_threads_escapes_names_and_keeps_totals) {
  Profile p = sample_profile();
  std::string folded = format_profile_folded(p);
  // work;step becomes work:step; the inlined helper sits inside work:step; no symbol: module+offset.
  BOOST_TEST(folded == "app;main;idle 10\n"
                       "app;main;work:step;inlined_helper 8\n"
                       "app;main;work:step;inlined_helper;libx.so+0x300 2\n");
  BOOST_TEST(folded.find("app;main;work:step;inlined_helper 8\n") != std::string::npos, folded);
  BOOST_TEST(folded.find("app;main;work:step;inlined_helper;libx.so+0x300 2\n") != std::string::npos, folded);
  BOOST_TEST(folded.find("app;main;idle 10\n") != std::string::npos, folded);
  std::string by_thread = format_profile_folded(p, FoldedOptions{true, std::nullopt});
  BOOST_TEST(by_thread.find("app;main-100;main;work:step;inlined_helper 5\n") != std::string::npos, by_thread);
  BOOST_TEST(by_thread.find("app;worker-101;main;idle 10\n") != std::string::npos, by_thread);
  std::string one = format_profile_folded(p, FoldedOptions{false, 101});
  BOOST_TEST(one == "app;main;idle 10\napp;main;work:step;inlined_helper 3\n");
}

BOOST_AUTO_TEST_CASE(speedscope_shares_frames_and_weights_add_up) {
  Profile p = sample_profile();
  nlohmann::json s = to_speedscope(p, "app");
  BOOST_TEST(s.at("profiles").size() == 3u);  // merged, main, worker
  auto total = [](const nlohmann::json& prof) {
    uint64_t n = 0;
    for (const auto& w : prof.at("weights")) n += w.get<uint64_t>();
    return n;
  };
  BOOST_TEST(total(s["profiles"][0]) == p.samples);
  BOOST_TEST(total(s["profiles"][1]) == 7u);
  BOOST_TEST(total(s["profiles"][2]) == 13u);
  BOOST_TEST(s["profiles"][0]["endValue"] == p.samples);
  // One shared frame per (name, file); samples root first.
  BOOST_TEST(s["shared"]["frames"].size() == 5u);
  const auto& first = s["profiles"][0]["samples"][0];
  BOOST_TEST(s["shared"]["frames"][first[0].get<size_t>()]["name"] == "main");
}

BOOST_AUTO_TEST_CASE(protobuf_writer_emits_the_wire_format) {
  ProtobufWriter w;
  w.varint_field(1, 300);  // key 0x08, varint 300 = ac 02
  w.bytes_field(2, "hi");  // key 0x12, length 2
  w.packed_field(3, {1, 2, 150});
  w.int_field(4, -1);  // int64 -1: ten bytes, two's complement
  const std::string& b = w.bytes();
  const std::string expected_head = std::string("\x08\xac\x02\x12\x02hi\x1a\x04\x01\x02\x96\x01\x20", 14);
  BOOST_REQUIRE_GE(b.size(), expected_head.size() + 10);
  BOOST_TEST(b.substr(0, expected_head.size()) == expected_head);
  BOOST_TEST(b.size() == expected_head.size() + 10);
  BOOST_TEST(static_cast<unsigned char>(b.back()) == 0x01);
}

BOOST_AUTO_TEST_CASE(zlib_and_gzip_round_trip_and_corruption_is_an_error) {
  std::string text(100000, 'x');
  for (size_t i = 0; i < text.size(); i += 7) text[i] = static_cast<char>('a' + i % 26);
  auto z = zlib_compress(text);
  BOOST_TEST(z.size() < text.size() / 4);
  auto back = zlib_decompress(z, text.size());
  BOOST_REQUIRE(back.ok());
  BOOST_TEST(back.value() == text);
  BOOST_TEST(!zlib_decompress(z, text.size() - 1).ok());  // over the bound
  BOOST_TEST(!zlib_decompress(z.substr(0, z.size() / 2), text.size()).ok());
  BOOST_TEST(!zlib_decompress("not zlib", 100).ok());
  auto gz = gzip_compress(text);
  BOOST_TEST((static_cast<unsigned char>(gz[0]) == 0x1f && static_cast<unsigned char>(gz[1]) == 0x8b));
  auto pprof = to_pprof_gzip(sample_profile());
  BOOST_TEST((static_cast<unsigned char>(pprof[0]) == 0x1f && static_cast<unsigned char>(pprof[1]) == 0x8b));
}
