// The small shared helpers every service uses instead of its own copy: UTF-8-safe cuts by bytes
// and by code points (dbg/utf8.hpp) and the wall clock in Unix milliseconds (dbg/clock.hpp).
#define BOOST_TEST_MODULE shared_text
#include <boost/test/unit_test.hpp>

#include <ctime>
#include <string>
#include <string_view>

#include "dbg/clock.hpp"
#include "dbg/utf8.hpp"

namespace {

// One character of each encoded length: U+00E9 (2 bytes), U+20AC (3 bytes), U+1F600 (4 bytes).
constexpr std::string_view kTwo = "\xC3\xA9";
constexpr std::string_view kThree = "\xE2\x82\xAC";
constexpr std::string_view kFour = "\xF0\x9F\x98\x80";

// "ab" followed by one multi-byte character.
std::string ab_then(std::string_view character) { return "ab" + std::string(character); }

bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = dbg::utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

}  // namespace

BOOST_AUTO_TEST_CASE(prefix_bytes_of_ascii_cuts_at_exactly_max) {
  BOOST_TEST(dbg::utf8_prefix_bytes("hello world", 5) == "hello");
  BOOST_TEST(dbg::utf8_prefix_bytes("hello", 1) == "h");
}

BOOST_AUTO_TEST_CASE(prefix_bytes_that_fit_return_the_whole_string) {
  BOOST_TEST(dbg::utf8_prefix_bytes("hello", 5) == "hello");
  BOOST_TEST(dbg::utf8_prefix_bytes("hello", 100) == "hello");
  const std::string four = ab_then(kFour);
  BOOST_TEST(dbg::utf8_prefix_bytes(four, four.size()) == four);  // ends exactly after the last byte
  BOOST_TEST(dbg::utf8_prefix_bytes("", 0) == "");
}

BOOST_AUTO_TEST_CASE(prefix_bytes_of_max_zero_is_empty) {
  BOOST_TEST(dbg::utf8_prefix_bytes("hello", 0).empty());
  BOOST_TEST(dbg::utf8_prefix_bytes(kThree, 0).empty());
}

BOOST_AUTO_TEST_CASE(prefix_bytes_inside_a_multibyte_character_drop_the_whole_character) {
  for (std::string_view character : {kTwo, kThree, kFour}) {
    const std::string text = ab_then(character) + "z";
    BOOST_TEST_CONTEXT("character of " << character.size() << " bytes") {
      // Every cut that falls after the lead byte but before the character's end keeps only "ab".
      for (std::size_t max = 2; max < 2 + character.size(); ++max) {
        BOOST_TEST_CONTEXT("max " << max) {
          const std::string_view cut = dbg::utf8_prefix_bytes(text, max);
          BOOST_TEST(cut == "ab");
          BOOST_TEST(is_valid_utf8(cut));
        }
      }
      // A cut right after the character keeps it whole.
      BOOST_TEST(dbg::utf8_prefix_bytes(text, 2 + character.size()) == ab_then(character));
    }
  }
}

BOOST_AUTO_TEST_CASE(prefix_bytes_inside_the_first_character_is_empty) {
  BOOST_TEST(dbg::utf8_prefix_bytes(kFour, 3).empty());
  BOOST_TEST(dbg::utf8_prefix_bytes(kTwo, 1).empty());
}

BOOST_AUTO_TEST_CASE(cut_bytes_in_place_matches_prefix_bytes) {
  for (std::size_t max = 0; max <= 12; ++max) {
    std::string text = std::string(kTwo) + std::string(kThree) + "x" + std::string(kFour) + "y";
    const std::string expected(dbg::utf8_prefix_bytes(text, max));
    dbg::utf8_cut_bytes(text, max);
    BOOST_TEST_CONTEXT("max " << max) {
      BOOST_TEST(text == expected);
      BOOST_TEST(text.size() <= max);
      BOOST_TEST(is_valid_utf8(text));
    }
  }
}

BOOST_AUTO_TEST_CASE(cut_bytes_leaves_a_string_that_fits_unchanged) {
  std::string text = ab_then(kThree);
  dbg::utf8_cut_bytes(text, text.size());
  BOOST_TEST(text == ab_then(kThree));
  dbg::utf8_cut_bytes(text, 4);  // inside the 3-byte character
  BOOST_TEST(text == "ab");
}

BOOST_AUTO_TEST_CASE(prefix_chars_counts_code_points_not_bytes) {
  const std::string text = std::string(kTwo) + std::string(kThree) + "x" + std::string(kFour);
  BOOST_TEST(dbg::utf8_prefix_chars(text, 0).empty());
  BOOST_TEST(dbg::utf8_prefix_chars(text, 1) == kTwo);
  BOOST_TEST(dbg::utf8_prefix_chars(text, 2) == std::string(kTwo) + std::string(kThree));
  BOOST_TEST(dbg::utf8_prefix_chars(text, 3) == std::string(kTwo) + std::string(kThree) + "x");
  BOOST_TEST(dbg::utf8_prefix_chars(text, 4) == text);  // exact fit
  BOOST_TEST(dbg::utf8_prefix_chars(text, 50) == text);
  BOOST_TEST(dbg::utf8_prefix_chars("hello", 3) == "hel");
}

BOOST_AUTO_TEST_CASE(unix_time_ms_agrees_with_time_in_seconds) {
  const std::time_t before = std::time(nullptr);
  const int64_t ms = dbg::unix_time_ms();
  const std::time_t after = std::time(nullptr);
  // Milliseconds since the epoch, not seconds or microseconds: within the two readings of
  // time(2), which truncates to whole seconds.
  BOOST_TEST(ms >= static_cast<int64_t>(before) * 1000);
  BOOST_TEST(ms < (static_cast<int64_t>(after) + 1) * 1000);
}
