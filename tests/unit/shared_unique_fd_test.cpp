// dbg::UniqueFd: closes what it owns once, on destruction, on reset, or on close(), which
// reports close(2)'s result for the callers that must know a write was lost.
#define BOOST_TEST_MODULE shared_unique_fd
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "dbg/unique_fd.hpp"

namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

}  // namespace

BOOST_AUTO_TEST_CASE(close_closes_the_descriptor_and_returns_zero) {
  int ends[2];
  BOOST_REQUIRE(::pipe2(ends, O_CLOEXEC) == 0);
  dbg::UniqueFd read_end(ends[0]);
  dbg::UniqueFd write_end(ends[1]);
  const int raw = write_end.get();
  BOOST_TEST(write_end.close() == 0);
  BOOST_TEST(!write_end.valid());
  BOOST_TEST(!is_open(raw));
  // The read end sees end of file: the write end really is closed, not just forgotten.
  char byte;
  BOOST_TEST(::read(read_end.get(), &byte, 1) == 0);
}

BOOST_AUTO_TEST_CASE(close_without_a_descriptor_fails_with_ebadf) {
  dbg::UniqueFd empty;
  errno = 0;
  BOOST_TEST(empty.close() == -1);
  BOOST_TEST(errno == EBADF);
}

BOOST_AUTO_TEST_CASE(destruction_and_move_close_exactly_once) {
  int ends[2];
  BOOST_REQUIRE(::pipe2(ends, O_CLOEXEC) == 0);
  dbg::UniqueFd keep(ends[1]);
  {
    dbg::UniqueFd first(ends[0]);
    dbg::UniqueFd second(std::move(first));
    BOOST_TEST(!first.valid());
    BOOST_TEST(second.get() == ends[0]);
    BOOST_TEST(is_open(ends[0]));
  }
  BOOST_TEST(!is_open(ends[0]));
  BOOST_TEST(is_open(ends[1]));
}
