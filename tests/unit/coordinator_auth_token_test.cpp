#define BOOST_TEST_MODULE coordinator_auth_token
#include <boost/test/unit_test.hpp>
// Unit test of the API token: generation into the data directory, --token-file validation,
// constant-time comparison.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "coordinator/auth/token.hpp"

namespace fs = std::filesystem;
using namespace dbg::coord::auth;

namespace {

// mkdtemp directory, removed with its contents on destruction.
struct TempDir {
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/dbgcoord-token-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  fs::path path;
};

void write_file(const fs::path& path, const std::string& content, mode_t mode) {
  std::ofstream(path) << content;
  BOOST_REQUIRE(::chmod(path.c_str(), mode) == 0);
}

mode_t mode_of(const fs::path& path) {
  struct stat st {};
  BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// The message of the runtime_error load_or_create_token throws; fails the test if none.
std::string load_error(const fs::path& data_dir, const std::optional<fs::path>& token_file) {
  try {
    load_or_create_token(data_dir, token_file);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  BOOST_ERROR("expected load_or_create_token to throw");
  return {};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const std::string kGoodToken = "abcdefghijklmnop0123";  // 20 characters

}  // namespace

BOOST_AUTO_TEST_CASE(first_start_generates_64_hex_chars_in_a_0600_file) {
  TempDir dir;
  auto source = load_or_create_token(dir.path, std::nullopt);
  BOOST_TEST(source.generated);
  BOOST_TEST(source.path == dir.path / "token");
  BOOST_TEST(source.token.size() == 64u);
  BOOST_TEST(source.token.find_first_not_of("0123456789abcdef") == std::string::npos);
  BOOST_TEST(mode_of(source.path) == 0600u);
  std::ifstream in(source.path);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  BOOST_TEST(content == source.token + "\n");
  // No temporary file is left behind.
  BOOST_TEST(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

BOOST_AUTO_TEST_CASE(later_starts_reuse_the_generated_token) {
  TempDir dir;
  auto first = load_or_create_token(dir.path, std::nullopt);
  auto second = load_or_create_token(dir.path, std::nullopt);
  BOOST_TEST(!second.generated);
  BOOST_TEST(second.token == first.token);
  BOOST_TEST(second.path == first.path);
}

BOOST_AUTO_TEST_CASE(two_data_dirs_get_different_tokens) {
  TempDir a, b;
  BOOST_TEST(load_or_create_token(a.path, std::nullopt).token != load_or_create_token(b.path, std::nullopt).token);
}

BOOST_AUTO_TEST_CASE(token_file_is_read_and_trimmed) {
  TempDir dir;
  auto file = dir.path / "secret";
  write_file(file, "  \n" + kGoodToken + "\r\n\n", 0600);
  auto source = load_or_create_token(dir.path / "data", file);
  BOOST_TEST(source.token == kGoodToken);
  BOOST_TEST(source.path == file);
  BOOST_TEST(!source.generated);
  BOOST_TEST(!fs::exists(dir.path / "data" / "token"));
}

BOOST_AUTO_TEST_CASE(token_file_readable_by_group_or_others_is_refused_with_chmod_hint) {
  TempDir dir;
  auto file = dir.path / "secret";
  for (mode_t mode : {0644, 0640, 0604, 0620}) {
    write_file(file, kGoodToken, mode);
    auto error = load_error(dir.path, file);
    BOOST_TEST(contains(error, file.string()), error);
    BOOST_TEST(contains(error, "chmod 600"), error);
  }
  // 0400 is private too.
  write_file(file, kGoodToken, 0400);
  BOOST_TEST(load_or_create_token(dir.path, file).token == kGoodToken);
}

BOOST_AUTO_TEST_CASE(token_file_shorter_than_16_chars_is_refused) {
  TempDir dir;
  auto file = dir.path / "secret";
  write_file(file, "  short-token  \n", 0600);
  auto error = load_error(dir.path, file);
  BOOST_TEST(contains(error, "at least 16"), error);
  write_file(file, "", 0600);
  BOOST_TEST(contains(load_error(dir.path, file), "at least 16"));
  // Exactly 16 is enough.
  write_file(file, "0123456789abcdef", 0600);
  BOOST_TEST(load_or_create_token(dir.path, file).token == "0123456789abcdef");
}

BOOST_AUTO_TEST_CASE(token_file_with_inner_whitespace_or_binary_is_refused) {
  TempDir dir;
  auto file = dir.path / "secret";
  write_file(file, "0123456789 abcdef0123", 0600);
  BOOST_TEST(contains(load_error(dir.path, file), "printable"));
  write_file(file, std::string("0123456789abcdef\x01", 17), 0600);
  BOOST_TEST(contains(load_error(dir.path, file), "printable"));
}

BOOST_AUTO_TEST_CASE(missing_token_file_or_directory_is_refused) {
  TempDir dir;
  BOOST_TEST(contains(load_error(dir.path, dir.path / "nope"), "does not exist"));
  BOOST_TEST(contains(load_error(dir.path, dir.path), "not a regular file"));
}

BOOST_AUTO_TEST_CASE(oversized_token_file_is_refused) {
  TempDir dir;
  auto file = dir.path / "secret";
  write_file(file, std::string(5000, 'a'), 0600);
  BOOST_TEST(contains(load_error(dir.path, file), "larger than"));
}

BOOST_AUTO_TEST_CASE(token_file_may_be_a_symlink_but_the_data_dir_token_may_not) {
  TempDir dir;
  auto real = dir.path / "real";
  write_file(real, kGoodToken, 0600);
  fs::create_symlink(real, dir.path / "link");
  BOOST_TEST(load_or_create_token(dir.path, dir.path / "link").token == kGoodToken);

  auto data = dir.path / "data";
  fs::create_directory(data);
  fs::create_symlink(real, data / "token");
  BOOST_TEST(contains(load_error(data, std::nullopt), "symbolic link"));
}

BOOST_AUTO_TEST_CASE(data_dir_token_opened_up_to_others_is_refused_not_replaced) {
  TempDir dir;
  auto source = load_or_create_token(dir.path, std::nullopt);
  BOOST_REQUIRE(::chmod(source.path.c_str(), 0644) == 0);
  BOOST_TEST(contains(load_error(dir.path, std::nullopt), "chmod 600"));
  write_file(source.path, "", 0600);
  BOOST_TEST(contains(load_error(dir.path, std::nullopt), "at least 16"));
}

BOOST_AUTO_TEST_CASE(missing_data_dir_is_a_clear_error) {
  TempDir dir;
  BOOST_CHECK_THROW(load_or_create_token(dir.path / "missing", std::nullopt), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(notice_names_the_file_and_never_the_token) {
  TempDir dir;
  auto generated = load_or_create_token(dir.path, std::nullopt);
  auto notice = token_notice(generated);
  BOOST_TEST(contains(notice, generated.path.string()));
  BOOST_TEST(contains(notice, "generated"));
  BOOST_TEST(!contains(notice, generated.token));
  auto reused = token_notice(load_or_create_token(dir.path, std::nullopt));
  BOOST_TEST(contains(reused, "read from"));
  BOOST_TEST(!contains(reused, generated.token));
}

BOOST_AUTO_TEST_CASE(token_equals_compares_whole_strings) {
  BOOST_TEST(token_equals("", ""));
  BOOST_TEST(token_equals(kGoodToken, kGoodToken));
  BOOST_TEST(!token_equals(kGoodToken, "Xbcdefghijklmnop0123"));  // first byte
  BOOST_TEST(!token_equals(kGoodToken, "abcdefghijklmnop012X"));  // last byte
  BOOST_TEST(!token_equals(kGoodToken, kGoodToken + "4"));       // longer
  BOOST_TEST(!token_equals(kGoodToken, kGoodToken.substr(0, 19)));  // prefix
  BOOST_TEST(!token_equals(kGoodToken, ""));
  BOOST_TEST(!token_equals("", kGoodToken));
  // A longer string padded with NULs must not equal the shorter one.
  BOOST_TEST(!token_equals(std::string("abc\0", 4), "abc"));
}
