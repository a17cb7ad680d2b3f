#pragma once
// CorePatternGuard: tests that change /proc/sys/kernel/core_pattern (host-global) put it back.
// The destructor restores the value seen at construction, also when a check failed (Boost.Test
// unwinds the test case). A test process that dies cannot run a destructor, so the first guard
// also leaves the original value in kSavedCorePatternFile; the next guard, the CTest cleanup
// fixture `core_pattern_restore` (tests/CMakeLists.txt) and scripts/test.sh write it back from
// there and remove the file. The guard holds an exclusive flock on kCorePatternLockFile for its
// lifetime, so tests of two build trees (or two helpers) never change core_pattern at once.
#include <string>

namespace dbg::test {

inline constexpr const char* kCorePatternFile = "/proc/sys/kernel/core_pattern";
inline constexpr const char* kSavedCorePatternFile = "/run/dbgcoord-test-core_pattern.saved";
inline constexpr const char* kCorePatternLockFile = "/run/dbgcoord-test-core_pattern.lock";

std::string read_core_pattern();
// Throws std::runtime_error when the kernel refuses the value.
void write_core_pattern(const std::string& value);

class CorePatternGuard {
 public:
  CorePatternGuard();
  ~CorePatternGuard();
  CorePatternGuard(const CorePatternGuard&) = delete;
  CorePatternGuard& operator=(const CorePatternGuard&) = delete;

  void set(const std::string& value) { write_core_pattern(value); }
  const std::string& original() const { return original_; }

 private:
  int lock_fd_ = -1;
  std::string original_;
};

}  // namespace dbg::test
