// Runs every file of every committed corpus (fuzz/corpus/<target>/) once through its target's
// entry point, without libFuzzer: built by the normal gcc build and run by CTest, so inputs
// that once crashed (kept in the corpus after the fix) are checked on every test run even where
// clang is not installed. A crash or broken invariant aborts this test like the fuzzer.
#define BOOST_TEST_MODULE fuzz_corpus_replay
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_targets.hpp"

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> corpus_files(std::string_view target) {
  fs::path dir = fs::path(DBG_FUZZ_CORPUS_DIR) / target;
  std::vector<fs::path> files;
  if (fs::is_directory(dir)) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_corpus_file_runs_through_its_target) {
  for (const auto& target : dbg::fuzz::kTargets) {
    auto files = corpus_files(target.name);
    // An empty or missing directory would make this test pass without checking anything.
    BOOST_REQUIRE_MESSAGE(files.size() >= 3, "corpus of " << target.name << " has " << files.size() << " files");
    for (const auto& file : files) {
      std::ifstream in(file, std::ios::binary);
      std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      BOOST_TEST_MESSAGE(target.name << ": " << file.filename().string() << " (" << bytes.size() << " bytes)");
      target.one_input(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    }
  }
}
