// dbg::json_sax against nlohmann's parser: the same documents accepted, the same values read,
// the same documents refused.
#define BOOST_TEST_MODULE json_sax
#include <boost/test/unit_test.hpp>

#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dbg/json_sax.hpp"
#include "dbg/json_sax_dom.hpp"

namespace {

using nlohmann::json;

void same_as_nlohmann(const std::string& text) {
  auto ours = dbg::json_sax::parse_to_dom(text);
  auto theirs = json::parse(text, nullptr, false);
  BOOST_TEST_CONTEXT("document: " << text) {
    BOOST_TEST(ours.has_value() == !theirs.is_discarded());
    if (ours && !theirs.is_discarded()) BOOST_TEST(ours->dump() == theirs.dump());
  }
}

const std::vector<std::string> kValid = {
    "0", "-0", "1", "-1", "123456789", "9223372036854775807", "-9223372036854775808",
    "18446744073709551615", "18446744073709551616", "-9223372036854775809", "1.5", "-2.25e3", "1E-400",
    "4e-320", "0.1e+2", "true", "false", "null", R"("")", R"("plain")", R"("\"\\\/\b\f\n\r\t")",
    R"("\u0041\u00e9\u20ac\ud83d\ude00")", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", R"("\u0000")",
    "[]", "{}", " [ 1 , 2 ,3 ] ", R"({"a":1,"b":[true,false,null],"c":{"d":"e"}})", R"({"a":1,"a":2})",
    R"([[[[[[[[[[]]]]]]]]]])", "\t\r\n{\"k\"\n:\n\"v\"}\n",
    R"({"pid":12,"comm":"x","threads":[{"tid":12,"frames":[{"pc":"0x1","offset":"0x2"}]}]})",
};

const std::vector<std::string> kInvalid = {
    "", " ", "01", "-", "+1", "1.", ".5", "1e", "1e+", "0x10", "1e999", "-1e999", "NaN", "Infinity",
    "tru", "nul", "True", "[", "]", "[1,]", "[,1]", "{", "}", R"({"a"})", R"({"a":})", R"({"a":1,})",
    R"({a:1})", "{'a':1}", R"("unterminated)", R"("\x")", R"("\u12")", R"("\ud800")", R"("\udc00")",
    R"("\ud800\u0041")", "\"\x01\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xff\"", "\"\xe2\x82\"",
    "1 2", "[] []", "{}x", "[1]]", "[1}", R"({"a":1]})", "nullx", "/* c */ 1",
};

// A handler that takes every event and goes on; tests override what they look at.
struct AcceptAll {
  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(int64_t) { return true; }
  bool number_unsigned(uint64_t) { return true; }
  bool number_float(double) { return true; }
  bool string(std::string&) { return true; }
  bool key(std::string&) { return true; }
  bool start_object() { return true; }
  bool end_object() { return true; }
  bool start_array() { return true; }
  bool end_array() { return true; }
};

}  // namespace

BOOST_AUTO_TEST_CASE(valid_documents_read_the_same_values) {
  for (const auto& text : kValid) {
    BOOST_TEST_CONTEXT(text) { BOOST_TEST(dbg::json_sax::parse_to_dom(text).has_value()); }
    same_as_nlohmann(text);
  }
}

BOOST_AUTO_TEST_CASE(invalid_documents_are_refused_with_a_position) {
  for (const auto& text : kInvalid) {
    AcceptAll ignore;
    auto outcome = dbg::json_sax::parse(text, ignore);
    BOOST_TEST_CONTEXT(text) {
      BOOST_TEST(!outcome.ok);
      BOOST_TEST(!outcome.stopped_by_handler);
      BOOST_TEST(outcome.error_position <= text.size());
    }
    same_as_nlohmann(text);
  }
}

BOOST_AUTO_TEST_CASE(a_handler_that_says_no_stops_the_parse) {
  struct StopAtSecondKey : AcceptAll {
    int keys = 0;
    bool key(std::string&) { return ++keys < 2; }
  } handler;
  auto outcome = dbg::json_sax::parse(R"({"a":1,"b":2,"c":3})", handler);
  BOOST_TEST(!outcome.ok);
  BOOST_TEST(outcome.stopped_by_handler);
  BOOST_TEST(handler.keys == 2);
}

// Deterministic mutations of valid documents (byte flips, cuts, insertions): whatever they
// become, both parsers must agree.
BOOST_AUTO_TEST_CASE(mutated_documents_are_judged_as_nlohmann_judges_them) {
  std::mt19937 random(20261126);
  const std::string alphabet = "{}[]\",:0123456789-+.eEtrufalsn \\u\x01\x80\xc3\xa9";
  int compared = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text = kValid[random() % kValid.size()];
    int edits = 1 + static_cast<int>(random() % 3);
    for (int e = 0; e < edits; ++e) {
      size_t at = text.empty() ? 0 : random() % (text.size() + 1);
      char c = alphabet[random() % alphabet.size()];
      switch (random() % 3) {
        case 0: if (at < text.size()) text[at] = c; break;
        case 1: text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        default: if (at < text.size()) text.erase(at, 1); break;
      }
    }
    auto ours = dbg::json_sax::parse_to_dom(text);
    auto theirs = json::parse(text, nullptr, false);
    if (ours.has_value() != !theirs.is_discarded() || (ours && ours->dump() != theirs.dump())) {
      BOOST_ERROR("disagreement on: " << text);
      break;
    }
    ++compared;
  }
  BOOST_TEST(compared == 20000);
}

// nlohmann takes a NUL byte for the end of the input and accepts "1<NUL>junk"; JSON has no
// place for a NUL outside a string, nor unescaped inside one. Ours refuses both.
BOOST_AUTO_TEST_CASE(a_nul_byte_is_refused_where_nlohmann_stops_reading) {
  using namespace std::string_literals;
  for (const auto& text : {"1\0junk"s, "{}\0"s, "\"a\0b\""s, "[1,\0]"s}) {
    BOOST_TEST_CONTEXT(text.size()) { BOOST_TEST(!dbg::json_sax::parse_to_dom(text).has_value()); }
  }
  BOOST_TEST(!json::parse("1\0junk"s, nullptr, false).is_discarded());  // the quirk this is about
}
