// Mutated inputs into the signature normalizer, the frames writer and the body parser: each
// must stay total (no exception, no crash, bounded output). Deterministic seeds; built with
// scripts/setup.sh --sanitize, this is also a small ASan/UBSan sweep (it found an empty-vector
// read in the parser once). Not a fuzzer: a regression net until one runs.
#define BOOST_TEST_MODULE coordinator_errors_mutation
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>
#include <random>

#include "coordinator/errors/error_event_json.hpp"
#include "coordinator/errors/function_name.hpp"
#include "coordinator/errors/json_writer.hpp"
#include "coordinator/errors/signature.hpp"

using namespace dbg::coord::errors;

namespace {

const std::vector<std::string> kSeeds = {
    "void app::Pipeline<long>::stage_two(std::unique_lock<std::mutex>&) const [clone .isra.0]",
    "main::{lambda(int)#1}::operator()(int) const",
    "operator new[](unsigned long)",
    "a::operator<<(b<c>)",
    "app::Any::operator std::vector<int, std::allocator<int> >() const",
    R"j({"events":[{"type":"A","frames":[{"function":"f(int)","module":"m","offset":"0x1","line":2}],)j"
    R"j("context":{"a":[1,{"b":null}],"c":"\u00e9"}},{"type":"B"}]})j",
    R"j({"type":"SIGSEGV/SEGV_MAPERR","message":"m","frames":[{"function":null,"module":"?","pc":12}]})j",
};
const std::string kAlphabet = "{}[]\":,0123456789<>(). abcoperatr\\x#-_*&~!=|^%+/?\xc3\xa9\xff nulltrue";

std::string mutate(std::mt19937_64& rng) {
  std::string s = kSeeds[rng() % kSeeds.size()];
  const int edits = 1 + static_cast<int>(rng() % 8);
  for (int e = 0; e < edits && !s.empty(); ++e) {
    const std::size_t at = rng() % s.size();
    switch (rng() % 3) {
      case 0: s[at] = kAlphabet[rng() % kAlphabet.size()]; break;
      case 1: s.insert(at, 1, kAlphabet[rng() % kAlphabet.size()]); break;
      default: s.erase(at, 1 + rng() % 4); break;
    }
  }
  return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(mutated_inputs_never_throw_and_stay_bounded) {
  std::mt19937_64 rng(20261126);
  std::size_t accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string s = mutate(rng);
    const std::string name = normalize_function(s);
    BOOST_REQUIRE_LE(name.size(), kMaxNormalizedFunction);
    dbg::Frame f;
    f.function = s;
    f.module = s.substr(0, 12);
    std::vector<dbg::Frame> frames(1 + rng() % 24, f);
    for (auto& frame : frames) {
      if (rng() % 3 == 0) frame.function = "recurse";
    }
    const auto sig = compute_signature(s, s, s, frames);
    BOOST_REQUIRE_EQUAL(sig.hash.size(), 32u);
    BOOST_REQUIRE_LE(sig.frames.size(), kSignatureFrames);
    // Whatever the bytes, the writer's output is JSON.
    BOOST_REQUIRE(nlohmann::json::accept(frames_json(frames)));
    auto parsed = parse_error_events(s);
    if (parsed.ok()) {
      ++accepted;
      BOOST_REQUIRE(!parsed.value().empty());
    } else {
      BOOST_REQUIRE_EQUAL(parsed.error().code, "bad_request");
    }
  }
  BOOST_TEST_MESSAGE(accepted << " of 20000 mutated inputs parsed as valid event bodies");
}
