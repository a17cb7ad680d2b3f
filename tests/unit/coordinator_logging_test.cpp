// Selective logging: per-level sample rates hold within statistical bounds over 10,000 messages,
// the first message of every call site in a window is always written, a dropped message does
// not even evaluate its arguments, bad configuration updates change nothing, and rotated log
// files are gzip-compressed without losing lines.
#define BOOST_TEST_MODULE coordinator_logging
#include <boost/test/unit_test.hpp>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "coordinator/logging/gzip_rotating_sink.hpp"
#include "coordinator/logging/log.hpp"
#include "coordinator/logging/logging_config.hpp"
#include "coordinator_test_client.hpp"

using namespace dbg::coord::logging;

namespace {

// Keeps every payload that reached spdlog.
class CaptureSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  std::size_t count_containing(const std::string& text) {
    std::size_t n = 0;
    for (const auto& l : lines()) n += l.find(text) != std::string::npos ? 1 : 0;
    return n;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override { lines_.emplace_back(msg.payload.data(), msg.payload.size()); }
  void flush_() override {}

 private:
  std::vector<std::string> lines_;
};

// Installs a capturing synchronous logger and the given configuration; restores the defaults.
struct Capture {
  std::shared_ptr<CaptureSink> sink = std::make_shared<CaptureSink>();
  explicit Capture(const LoggingConfig& config) {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
    apply(config);
    start_new_window();
  }
  ~Capture() { apply(default_config()); }
};

LoggingConfig all_enabled(double debug, double info, double warning, double error, double critical) {
  LoggingConfig c;
  c.at(Level::debug) = {true, debug};
  c.at(Level::info) = {true, info};
  c.at(Level::warning) = {true, warning};
  c.at(Level::error) = {true, error};
  c.at(Level::critical) = {true, critical};
  return c;
}

constexpr int kMessages = 10'000;

// The first message is always written; the other 9,999 each with probability rate. Six
// standard deviations: a correct sampler fails this about once in 500 million runs.
void check_rate(Level level, double rate, std::size_t written) {
  double n = kMessages - 1;
  double mean = 1 + n * rate;
  double bound = 6 * std::sqrt(n * rate * (1 - rate)) + 1;
  BOOST_TEST_MESSAGE(name(level) << ": rate " << rate << ", written " << written << " of " << kMessages
                                 << " (expected " << mean << " +- " << bound << ")");
  BOOST_TEST(std::fabs(static_cast<double>(written) - mean) <= bound, name(level) << " wrote " << written);
}

}  // namespace

BOOST_AUTO_TEST_CASE(defaults_are_the_seed_design_rates) {
  auto c = default_config();
  BOOST_TEST(c.at(Level::critical).enabled);
  BOOST_TEST(c.at(Level::critical).sample_rate == 1.0);
  BOOST_TEST(c.at(Level::error).sample_rate == 0.5);
  BOOST_TEST(c.at(Level::warning).sample_rate == 0.1);
  BOOST_TEST(c.at(Level::info).sample_rate == 1.0);
  BOOST_TEST(!c.at(Level::debug).enabled);
  BOOST_TEST(c.at(Level::debug).sample_rate == 0.01);
}

BOOST_AUTO_TEST_CASE(each_level_follows_its_rate_over_10000_messages_and_keeps_the_first) {
  Capture capture(default_config());
  auto c = default_config();
  c.at(Level::debug).enabled = true;  // debug on at its default 0.01
  apply(c);
  LevelCounters before[kLevelCount];
  for (Level l : kLevels) before[static_cast<std::size_t>(l)] = counters(l);

  for (int i = 0; i < kMessages; ++i) {
    DBG_LOG_DEBUG("debug message {}", i);
    DBG_LOG_INFO("info message {}", i);
    DBG_LOG_WARN("warning message {}", i);
    DBG_LOG_ERROR("error message {}", i);
    DBG_LOG_CRITICAL("critical message {}", i);
  }

  const std::pair<Level, double> expected[] = {{Level::debug, 0.01}, {Level::info, 1.0}, {Level::warning, 0.1},
                                               {Level::error, 0.5}, {Level::critical, 1.0}};
  for (auto [level, rate] : expected) {
    std::string prefix = std::string(name(level)) + " message ";
    std::size_t written = capture.sink->count_containing(prefix);
    check_rate(level, rate, written);
    // The first occurrence in the window is always there.
    BOOST_TEST(capture.sink->count_containing(prefix + "0") >= 1u, name(level) << ": first message missing");
    // What the counters say is what reached the sink; everything else was counted as dropped.
    auto after = counters(level);
    auto b = before[static_cast<std::size_t>(level)];
    BOOST_TEST(after.written - b.written == written);
    BOOST_TEST(after.dropped - b.dropped == kMessages - written);
    BOOST_TEST(after.first_in_window - b.first_in_window == 1u);
  }
  // Rate 1.0 is exact, not statistical.
  BOOST_TEST(capture.sink->count_containing("info message ") == static_cast<std::size_t>(kMessages));
}

BOOST_AUTO_TEST_CASE(changed_rates_apply_at_once) {
  Capture capture(all_enabled(0.3, 0.7, 0.25, 0.9, 0.05));
  for (int i = 0; i < kMessages; ++i) {
    DBG_LOG_DEBUG("d {}", i);
    DBG_LOG_INFO("i {}", i);
    DBG_LOG_WARN("w {}", i);
    DBG_LOG_ERROR("e {}", i);
    DBG_LOG_CRITICAL("c {}", i);
  }
  std::size_t counts[kLevelCount] = {};
  for (const auto& line : capture.sink->lines()) {
    const std::string tags = "diwec";
    counts[tags.find(line[0])]++;
  }
  check_rate(Level::debug, 0.3, counts[0]);
  check_rate(Level::info, 0.7, counts[1]);
  check_rate(Level::warning, 0.25, counts[2]);
  check_rate(Level::error, 0.9, counts[3]);
  check_rate(Level::critical, 0.05, counts[4]);
}

BOOST_AUTO_TEST_CASE(every_distinct_message_is_written_first_in_each_window) {
  // Rate 0: only first occurrences pass, so exactly one per call site per window.
  Capture capture(all_enabled(0, 0, 0, 0, 0));
  constexpr int kSites = 1000;
  auto sites = std::make_unique<CallSite[]>(kSites);
  for (int window = 0; window < 3; ++window) {
    for (int repeat = 0; repeat < 10; ++repeat) {
      for (int s = 0; s < kSites; ++s) {
        bool written = should_write(Level::warning, sites[s]);
        if (repeat == 0) {
          BOOST_TEST(written, "site " << s << " window " << window << ": first occurrence dropped");
        } else {
          BOOST_TEST(!written, "site " << s << " written twice at rate 0");
        }
      }
    }
    start_new_window();
  }
  // The same through the macro: 10,000 calls at one site, one line, and it is the first.
  for (int i = 0; i < kMessages; ++i) DBG_LOG_ERROR("repeated failure {}", i);
  auto lines = capture.sink->lines();
  BOOST_REQUIRE_EQUAL(lines.size(), 1u);
  BOOST_TEST(lines[0] == "repeated failure 0");
  start_new_window();
  for (int i = 0; i < 10; ++i) DBG_LOG_ERROR("repeated failure {}", 100 + i);
  BOOST_TEST(capture.sink->count_containing("repeated failure 100") == 1u);
}

BOOST_AUTO_TEST_CASE(a_dropped_message_does_not_evaluate_its_arguments) {
  auto c = all_enabled(0, 1, 0, 1, 1);
  c.at(Level::debug).enabled = false;
  Capture capture(c);
  int evaluated = 0;
  auto touch = [&evaluated] { return ++evaluated; };
  for (int i = 0; i < 100; ++i) DBG_LOG_DEBUG("disabled {}", touch());
  BOOST_TEST(evaluated == 0);
  for (int i = 0; i < 100; ++i) DBG_LOG_WARN("sampled out {}", touch());
  BOOST_TEST(evaluated == 1);  // only the first occurrence was formatted
  BOOST_TEST(capture.sink->lines().size() == 1u);
}

BOOST_AUTO_TEST_CASE(bad_updates_are_refused_and_change_nothing) {
  const auto base = default_config();
  const char* bad[] = {
      R"([])",
      R"({"levels":{"warning":{"sample_rate":1.5}}})",
      R"({"levels":{"warning":{"sample_rate":-0.1}}})",
      R"({"levels":{"warning":{"sample_rate":"0.5"}}})",
      R"({"levels":{"warning":{"enabled":"yes"}}})",
      R"({"levels":{"verbose":{"enabled":true}}})",
      R"({"levels":{"warning":{"rate":0.5}}})",
      R"({"levels":{"warning":0.5}})",
      R"({"levels":[]})",
      R"({"window_s":0})",
      R"({"window_s":1.5})",
      R"({"window_s":86401})",
      R"({"level":{}})",
      // A good part does not rescue a bad one: all or nothing.
      R"({"levels":{"info":{"sample_rate":0.5},"error":{"sample_rate":2}}})",
  };
  for (const char* text : bad) {
    auto r = apply_update(base, nlohmann::json::parse(text));
    BOOST_TEST(!r, text << " was accepted");
    if (!r) BOOST_TEST(r.error().code == "bad_request");
  }
  auto good = apply_update(base, nlohmann::json::parse(R"({"levels":{"debug":{"enabled":true},"warning":{"sample_rate":0.25}},"window_s":30})"));
  BOOST_REQUIRE(good);
  BOOST_TEST(good.value().at(Level::debug).enabled);
  BOOST_TEST(good.value().at(Level::debug).sample_rate == 0.01);
  BOOST_TEST(good.value().at(Level::warning).sample_rate == 0.25);
  BOOST_TEST(good.value().at(Level::error).sample_rate == 0.5);
  BOOST_TEST(good.value().window.count() == 30);
  BOOST_TEST(to_json(good.value()).at("levels").at("warning").at("sample_rate") == 0.25);
}

BOOST_AUTO_TEST_CASE(rotated_files_are_gzip_compressed_and_no_line_is_lost) {
  dbg::coord::test::TempDir dir;
  constexpr int kLines = 400;
  {
    auto sink = std::make_shared<GzipRotatingFileSink>(dir.path(), "dbgcoord", 4096, 3);
    spdlog::logger logger("rotation", sink);
    logger.set_pattern("%v");
    for (int i = 0; i < kLines; ++i) logger.info("line {:05d} {}", i, std::string(60, 'x'));
    logger.flush();
    BOOST_TEST(sink->rotations() >= 5u);
    BOOST_TEST(sink->compression_failures() == 0u);
    BOOST_TEST(sink->compressed_out() < sink->compressed_in());  // it did compress
  }
  BOOST_TEST(std::filesystem::exists(dir.path() / "dbgcoord.log"));
  BOOST_TEST(std::filesystem::exists(dir.path() / "dbgcoord.3.log.gz"));
  BOOST_TEST(!std::filesystem::exists(dir.path() / "dbgcoord.4.log.gz"));  // only 3 kept

  // Oldest kept file first, then the current one: consecutive line numbers up to the last.
  std::vector<int> numbers;
  for (int f = 3; f >= 1; --f) {
    auto path = dir.path() / ("dbgcoord." + std::to_string(f) + ".log.gz");
    gzFile in = gzopen(path.c_str(), "rb");
    BOOST_REQUIRE(in != nullptr);
    char buf[256];
    while (gzgets(in, buf, sizeof buf) != nullptr) numbers.push_back(std::stoi(std::string(buf).substr(5, 5)));
    gzclose(in);
  }
  std::ifstream current(dir.path() / "dbgcoord.log");
  std::string line;
  while (std::getline(current, line)) numbers.push_back(std::stoi(line.substr(5, 5)));
  BOOST_REQUIRE(!numbers.empty());
  BOOST_TEST(numbers.back() == kLines - 1);
  for (std::size_t i = 1; i < numbers.size(); ++i) BOOST_TEST(numbers[i] == numbers[i - 1] + 1);
}
