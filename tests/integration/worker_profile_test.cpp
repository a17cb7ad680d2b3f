// The profiler in the worker, against real targets: a known hot and cold function, the overhead
// budget on 64 threads, idle threads counted without a pause, the byte budget, progress and
// cancel over the serve protocol, a target that exits mid-profile, bad arguments. The cases
// about pauses and idle threads name the ptrace sampler (the perf sampler never pauses and
// samples CPU time only: tests/integration/worker_perf_profile_test.cpp); the others run the
// default (auto: perf on this machine).
#define BOOST_TEST_MODULE worker_profile
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "test_support.hpp"
#include "worker_fixture.hpp"
#include "worker_profile_support.hpp"

using namespace dbg::test;
using nlohmann::json;
using namespace std::chrono_literals;


BOOST_AUTO_TEST_CASE(hot_function_holds_the_large_majority_and_cold_few) {
  auto target = start_target("profile_hotcold", {"1", "0"});
  json p = profile_json(target.pid(), {"--hz", "99", "--duration", "2"});
  uint64_t total = total_samples(p);
  uint64_t hot = inclusive(p, "profile_hot"), cold = inclusive(p, "profile_cold");
  BOOST_TEST_MESSAGE("samples " << total << " hot " << hot << " cold " << cold << " hz_effective " << p["hz_effective"]
                                << " overhead_pct " << p["overhead_pct"]);
  BOOST_TEST(p.at("samples").get<uint64_t>() == total);
  // About 198 ticks are expected; far fewer would make the proportions below meaningless.
  BOOST_REQUIRE_GT(total, 40u);
  BOOST_TEST(hot >= total * 75 / 100);   // the work is 95 % hot
  BOOST_TEST(cold <= total * 20 / 100);  // and 5 % cold
  BOOST_TEST(cold * 4 < hot);
  BOOST_TEST(p.at("stop_reason") == "duration");
  BOOST_TEST(p.at("hz_requested").get<double>() == 99.0);
  BOOST_TEST(p.at("hz_effective").get<double>() > 0.0);
  BOOST_TEST(p.at("hz_effective").get<double>() <= 99.0 * 1.05);
  BOOST_TEST(p.at("overhead_pct").get<double>() < 2.0);
  // The samples' CPU time is the thread's own CPU time: a busy thread used most of the elapsed time.
  uint64_t cpu_ns = 0;
  for (const auto& c : p.at("counts")) cpu_ns += c.at(3).get<uint64_t>();
  BOOST_TEST(cpu_ns > 0u);
  BOOST_TEST(static_cast<double>(cpu_ns) <= p.at("elapsed_s").get<double>() * 1e9 * 1.05);
  // Frames carry source positions from the target's DWARF.
  bool hot_has_file = false;
  for (const auto& f : p.at("frames"))
    if (f.at("function") == "profile_hot" && f.at("file").is_string()) hot_has_file = true;
  BOOST_TEST(hot_has_file);
  // Modules with build ids.
  bool exe_has_build_id = false;
  for (const auto& m : p.at("modules"))
    if (m.at("name") == "profile_hotcold" && !m.at("build_id").get<std::string>().empty()) exe_has_build_id = true;
  BOOST_TEST(exe_has_build_id);
}

BOOST_AUTO_TEST_CASE(overhead_budget_holds_on_64_threads_at_999_hz) {
  auto target = start_target("profile_many_threads", {"64", "busy"});
  json p = profile_json(target.pid(), {"--sampler", "ptrace", "--hz", "999", "--duration", "2", "--max-overhead-pct", "1"});
  BOOST_TEST_MESSAGE("64 threads at 999 Hz, budget 1 %: overhead_pct " << p["overhead_pct"] << " hz_effective "
                                                                      << p["hz_effective"] << " ticks " << p["ticks"]
                                                                      << " pauses " << p["samples_captured"]);
  BOOST_TEST(p.at("threads").size() >= 64u);
  BOOST_TEST(p.at("samples_captured").get<uint64_t>() > 0u);
  // The ptrace sampler's windows run in the real-time class when permitted, as snapshots do.
  BOOST_TEST(p.at("capture_sched").get<std::string>() == (::geteuid() == 0 ? "realtime" : "normal"));
  BOOST_TEST(p.at("overhead_pct").get<double>() < 1.0);
  BOOST_TEST(p.at("overhead_pct").get<double>() > 0.0);
  BOOST_TEST(p.at("hz_effective").get<double>() < 999.0);
  // The overhead is what the pauses say: total pause over thread-time.
  double thread_s = p.at("elapsed_s").get<double>() * static_cast<double>(p.at("threads").size());
  BOOST_TEST(p.at("pause_us_total").get<double>() / 1e6 / thread_s * 100 < 1.0 * 1.1);
  BOOST_TEST(inclusive(p, "many_work") + inclusive(p, "many_loop") > 0u);
}

BOOST_AUTO_TEST_CASE(sleeping_threads_are_counted_again_without_pausing_them) {
  auto target = start_target("profile_hotcold", {"1", "8"});
  json p = profile_json(target.pid(), {"--sampler", "ptrace", "--hz", "99", "--duration", "1"});
  uint64_t ticks = p.at("ticks");
  uint64_t reused = p.at("samples_reused");
  BOOST_TEST_MESSAGE("ticks " << ticks << " reused " << reused << " captured " << p["samples_captured"]);
  BOOST_REQUIRE_GT(ticks, 5u);
  // Each sleeping thread is paused at most a couple of times (its first sample, and once more
  // if our first pause changed which system call it sits in); every other tick reuses its stack.
  BOOST_TEST(reused >= 8 * (ticks - 3));
  BOOST_TEST(p.at("samples_captured").get<uint64_t>() <= ticks + 8 * 3);
  // And they are in the profile, with their sleeping stack, at every tick.
  BOOST_TEST(inclusive(p, "sleep_forever") >= 8 * (ticks - 1));
  BOOST_TEST(inclusive(p, "profile_hot") > 0u);
}

BOOST_AUTO_TEST_CASE(exclude_idle_samples_only_running_threads) {
  auto target = start_target("profile_hotcold", {"1", "8"});
  json p = profile_json(target.pid(), {"--sampler", "ptrace", "--hz", "99", "--duration", "1", "--exclude-idle"});
  BOOST_TEST(p.at("include_idle") == false);
  BOOST_TEST(inclusive(p, "sleep_forever") == 0u);
  BOOST_TEST(p.at("samples_reused") == 0u);
  BOOST_TEST(inclusive(p, "profile_hot") > 0u);
}

BOOST_AUTO_TEST_CASE(byte_budget_evicts_the_oldest_samples_and_counts_them) {
  // 100 sleeping threads: each tick adds 100 samples without pausing anyone, so even a slow
  // machine fills 64 KiB (about 4,000 samples) within the profile.
  auto target = start_target("profile_hotcold", {"0", "100"});
  json p = profile_json(target.pid(), {"--sampler", "ptrace", "--hz", "500", "--duration", "2", "--max-bytes", "65536"});
  uint64_t held = p.at("samples"), evicted = p.at("samples_evicted");
  BOOST_TEST_MESSAGE("held " << held << " evicted " << evicted << " peak " << p["bytes_peak"]);
  BOOST_TEST(evicted > 0u);
  BOOST_TEST(p.at("bytes_peak").get<uint64_t>() <= 65536u);
  BOOST_TEST(held + evicted == p.at("samples_captured").get<uint64_t>() + p.at("samples_reused").get<uint64_t>());
  BOOST_TEST(total_samples(p) == held);
}

BOOST_AUTO_TEST_CASE(a_target_that_exits_ends_the_profile_with_what_was_collected) {
  auto target = start_target("profile_hotcold", {"1", "0", "0.5"});
  json p = profile_json(target.pid(), {"--hz", "99", "--duration", "30"});
  BOOST_TEST(p.at("stop_reason") == "process_exited");
  BOOST_TEST(p.at("samples").get<uint64_t>() > 0u);
  BOOST_TEST(p.at("elapsed_s").get<double>() < 30.0);
}

BOOST_AUTO_TEST_CASE(serve_sends_progress_and_a_cancel_keeps_what_was_collected) {
  auto target = start_target("profile_hotcold", {"1", "0"});
  ChildProcess worker({bin_path("dbg-worker"), "serve"});
  auto hello = worker.read_line(10s);
  BOOST_REQUIRE(hello);
  worker.write_stdin(R"({"v":1,"id":"p1","kind":"profile","pid":)" + std::to_string(target.pid()) +
                     R"(,"options":{"hz":99,"duration_s":60}})" "\n");
  std::optional<json> progress;
  for (int i = 0; i < 20 && !progress; ++i) {
    auto line = worker.read_line(10s);
    BOOST_REQUIRE(line);
    json j = json::parse(*line);
    BOOST_REQUIRE_MESSAGE(j.at("type") == "progress", *line);
    BOOST_TEST(j.at("id") == "p1");
    if (j.at("progress").at("samples").get<uint64_t>() > 0) progress = j.at("progress");
  }
  BOOST_REQUIRE(progress);
  BOOST_TEST(progress->at("hz_effective").get<double>() > 0.0);
  BOOST_TEST(progress->contains("overhead_pct"));
  // A ping while the profile runs is answered at once; a second job is refused as busy.
  worker.write_stdin(R"({"v":1,"id":"h1","kind":"ping"})" "\n");
  worker.write_stdin(R"({"v":1,"id":"x1","kind":"snapshot","pid":1})" "\n");
  worker.write_stdin(R"({"v":1,"id":"c1","kind":"cancel","job":"p1"})" "\n");
  bool pong = false, busy = false;
  std::optional<json> result;
  while (!result) {
    auto line = worker.read_line(20s);
    BOOST_REQUIRE_MESSAGE(line, "no answer to the cancel");
    json j = json::parse(*line);
    if (j.at("type") == "pong") pong = j.at("id") == "h1";
    if (j.at("type") == "error" && j.at("id") == "x1") busy = j.at("error").at("code") == "busy";
    if (j.at("type") == "result") result = j;
  }
  BOOST_TEST(pong);
  BOOST_TEST(busy);
  BOOST_TEST(result->at("id") == "p1");
  const json& p = result->at("result");
  BOOST_TEST(p.at("stop_reason") == "cancelled");
  BOOST_TEST(p.at("samples").get<uint64_t>() >= progress->at("samples").get<uint64_t>());
  BOOST_TEST(p.at("elapsed_s").get<double>() < 60.0);
  // The worker goes on serving.
  worker.write_stdin(R"({"v":1,"id":"h2","kind":"ping"})" "\n");
  auto pong2 = worker.read_line(10s);
  BOOST_REQUIRE(pong2);
  BOOST_TEST(json::parse(*pong2).at("id") == "h2");
}

BOOST_AUTO_TEST_CASE(bad_arguments_are_refused_with_a_clear_message) {
  auto target = start_target("profile_hotcold", {"1", "0"});
  const std::string pid = std::to_string(target.pid());
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const Case cases[] = {{{"--hz", "0"}, "hz must be an integer in 1..1000"},
                        {{"--hz", "1001"}, "hz must be an integer in 1..1000"},
                        {{"--duration", "0"}, "duration_s"},
                        {{"--max-overhead-pct", "-1"}, "max_overhead_pct"},
                        {{"--max-bytes", "10"}, "max_bytes"},
                        {{"--format", "xml"}, "--format is json or folded"},
                        {{"--sampler", "bpf"}, "sampler must be \"auto\", \"perf\" or \"ptrace\""},
                        {{"--sampler"}, "--sampler needs a value"}};
  for (const auto& c : cases) {
    std::vector<std::string> argv{bin_path("dbg-worker"), "profile", pid};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    auto r = run_command(argv);
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(r.err.find(c.says) != std::string::npos, r.err);
  }
  auto gone = run_command({bin_path("dbg-worker"), "profile", "999999999", "--duration", "1"});
  BOOST_TEST(gone.exit_code == 1);
  BOOST_TEST(gone.err.find("process_gone") != std::string::npos, gone.err);
}
