#pragma once
// ProfileUnwinder: the ProcessUnwinder a profile keeps for its whole run, rebuilt when the
// target's executable mappings change (a dlopen()ed library gets symbols within kCheckEvery).
// Both samplers (ptrace and perf) unwind through it.
#include <sys/types.h>

#include <cstdint>
#include <memory>

#include "worker/unwind/elf_cache.hpp"
#include "worker/unwind/process_unwinder.hpp"

namespace dbg::worker {

class ProfileUnwinder {
 public:
  static constexpr double kCheckEvery = 1.0;  // s between two looks at /proc/PID/maps

  ProfileUnwinder(pid_t pid, ElfCache& elf_cache) : pid_(pid), elf_cache_(elf_cache) {}

  // At `now` (seconds since the profile's start): looks at the maps at most every kCheckEvery and
  // rebuilds the unwinder when they changed (or when there is none yet). Returns the current
  // one, null while none could be created.
  ProcessUnwinder* refresh(double now);
  ProcessUnwinder* get() const { return unwinder_.get(); }

 private:
  pid_t pid_;
  ElfCache& elf_cache_;
  std::unique_ptr<ProcessUnwinder> unwinder_;
  uint64_t maps_hash_ = 0;
  double checked_at_ = -1;
};

}  // namespace dbg::worker
