#pragma once
// What the pool and channel unit tests share: a shell script written to a temporary file (the
// fake worker), SIGPIPE ignored (a broken pipe must be an error code, not the end of the test;
// the coordinator ignores it too), and running an io_context until a condition holds.
#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <boost/asio/io_context.hpp>

namespace dbg::test {

struct IgnoreSigpipe {
  IgnoreSigpipe() { std::signal(SIGPIPE, SIG_IGN); }
};

// A script file, removed with this object; executable (for a "#!/bin/sh" first line) or not.
class ScriptFile {
 public:
  ScriptFile(const std::string& text, bool executable) {
    char path[] = "/tmp/dbg_fake_worker_XXXXXX";
    int fd = ::mkstemp(path);
    BOOST_REQUIRE(fd >= 0);
    ::close(fd);
    path_ = path;
    std::ofstream(path_) << text;
    if (executable) ::chmod(path_.c_str(), 0700);
  }
  ~ScriptFile() { std::remove(path_.c_str()); }
  ScriptFile(const ScriptFile&) = delete;
  ScriptFile& operator=(const ScriptFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs handlers until `done` holds. A child's pipe read (or the pool's heartbeat) is pending
// while the case runs; running out of work means the case is broken, not slow.
template <typename Pred>
void run_until(boost::asio::io_context& ioc, Pred done) {
  while (!done()) {
    if (ioc.run_one() == 0) BOOST_FAIL("no more work, and the expected answers never came");
  }
}

}  // namespace dbg::test
