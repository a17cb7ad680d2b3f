// ElfCache (worker/unwind/elf_cache.hpp) on real files: one open per file identity, a
// reference per acquire, and nothing cached for what is not an ELF file or does not exist.
#define BOOST_TEST_MODULE worker_elf_cache
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <string>

#include "worker/unwind/elf_cache.hpp"

using dbg::worker::ElfCache;

namespace {

std::string own_executable() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  BOOST_REQUIRE(n > 0);
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace

BOOST_AUTO_TEST_CASE(elf_cache_opens_a_file_once_and_hands_out_a_reference_per_acquire) {
  ElfCache cache;
  const std::string exe = own_executable();
  std::string opened;
  Elf* first = cache.acquire(::getpid(), exe, &opened);
  BOOST_REQUIRE(first != nullptr);
  BOOST_TEST(elf_kind(first) == ELF_K_ELF);
  BOOST_TEST(opened.find(exe) != std::string::npos);
  BOOST_TEST(cache.misses() == 1u);
  BOOST_TEST(cache.hits() == 0u);
  Elf* second = cache.acquire(::getpid(), exe, nullptr);
  BOOST_REQUIRE(second != nullptr);
  BOOST_TEST(cache.hits() == 1u);
  BOOST_TEST(cache.size() == 1u);
  // Our references end before the cache's own (the order libdw's dwfl_end uses too).
  BOOST_TEST(elf_end(first) >= 0);
  BOOST_TEST(elf_end(second) >= 0);
}

BOOST_AUTO_TEST_CASE(elf_cache_caches_nothing_for_a_file_that_is_not_elf_or_missing) {
  ElfCache cache;
  BOOST_TEST(cache.acquire(::getpid(), "/proc/self/status", nullptr) == nullptr);
  BOOST_TEST(cache.acquire(::getpid(), "/nonexistent/dbg-worker-elf-cache-test", nullptr) == nullptr);
  BOOST_TEST(cache.size() == 0u);
  BOOST_TEST(cache.misses() == 0u);
}
