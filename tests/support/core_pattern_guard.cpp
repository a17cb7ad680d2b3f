#include "core_pattern_guard.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace dbg::test {

namespace {

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  std::string v = s.str();
  while (!v.empty() && v.back() == '\n') v.pop_back();
  return v;
}

}  // namespace

std::string read_core_pattern() { return read_file(kCorePatternFile); }

void write_core_pattern(const std::string& value) {
  std::ofstream out(kCorePatternFile);
  out << value << '\n';
  out.flush();
  if (!out) throw std::runtime_error("cannot write core_pattern '" + value + "'");
}

CorePatternGuard::CorePatternGuard() {
  lock_fd_ = ::open(kCorePatternLockFile, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_EX) != 0) throw std::runtime_error("cannot lock core_pattern for the test");
  // A test that died before its destructor ran left the true original here: restore it first.
  if (::access(kSavedCorePatternFile, F_OK) == 0) {
    write_core_pattern(read_file(kSavedCorePatternFile));
  }
  original_ = read_core_pattern();
  std::ofstream saved(kSavedCorePatternFile);
  saved << original_ << '\n';
}

CorePatternGuard::~CorePatternGuard() {
  try {
    write_core_pattern(original_);
    ::unlink(kSavedCorePatternFile);
  } catch (...) {
    // The saved file stays for the cleanup fixture.
  }
  ::close(lock_fd_);  // releases the flock
}

}  // namespace dbg::test
