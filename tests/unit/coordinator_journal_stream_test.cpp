#define BOOST_TEST_MODULE coordinator_journal_stream
#include <boost/test/unit_test.hpp>
// stdout_is_journal: true only when JOURNAL_STREAM names the very file stdout is open on.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "coordinator/journal_stream.hpp"

namespace {

// Points fd 1 at a fresh temporary file for the test's life, then puts the old stdout back.
class StdoutToFile {
 public:
  StdoutToFile() {
    char name[] = "/tmp/dbgcoord-journal-XXXXXX";
    file_ = ::mkstemp(name);
    BOOST_REQUIRE(file_ >= 0);
    ::unlink(name);
    saved_ = ::dup(1);
    BOOST_REQUIRE(saved_ >= 0);
    BOOST_REQUIRE(::dup2(file_, 1) == 1);
  }
  ~StdoutToFile() {
    ::dup2(saved_, 1);
    ::close(saved_);
    ::close(file_);
  }
  StdoutToFile(const StdoutToFile&) = delete;
  StdoutToFile& operator=(const StdoutToFile&) = delete;
  std::string dev_ino() const {
    struct stat st {};
    ::fstat(file_, &st);
    return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  }

 private:
  int file_ = -1;
  int saved_ = -1;
};

}  // namespace

BOOST_AUTO_TEST_CASE(only_the_stream_stdout_is_open_on_counts_as_the_journal) {
  StdoutToFile out;
  ::unsetenv("JOURNAL_STREAM");
  BOOST_TEST(!dbg::coord::stdout_is_journal());
  ::setenv("JOURNAL_STREAM", out.dev_ino().c_str(), 1);
  BOOST_TEST(dbg::coord::stdout_is_journal());
  // Inherited by a child whose stdout was redirected elsewhere: another inode.
  const std::string other = out.dev_ino().substr(0, out.dev_ino().find(':')) + ":1";
  ::setenv("JOURNAL_STREAM", other.c_str(), 1);
  BOOST_TEST(!dbg::coord::stdout_is_journal());
  for (const char* bad : {"", "12", "a:b", "1:2:3", "1:2x"}) {
    ::setenv("JOURNAL_STREAM", bad, 1);
    BOOST_TEST(!dbg::coord::stdout_is_journal(), bad);
  }
  ::unsetenv("JOURNAL_STREAM");
}
