#pragma once
// At most `max_concurrent` full analyses at once, host-wide: slot n is an flock on
// <crash dir>/slots/<n>. flock, because the kernel drops it when its holder exits however it
// exits, so a killed handler never keeps a slot. No free slot: the crash gets a minimal report
// at once (a storm must not queue behind the analyses).
#include <optional>
#include <string>

#include "dbg/unique_fd.hpp"

namespace dbg::worker::core {

class AnalysisSlot {
 public:
  // The first free slot of 0 .. max_concurrent-1, or nullopt when all are taken (or the slot
  // files cannot be made).
  static std::optional<AnalysisSlot> try_acquire(const std::string& crash_dir, int max_concurrent);
  int index() const { return index_; }

 private:
  AnalysisSlot(UniqueFd fd, int index) : fd_(std::move(fd)), index_(index) {}
  UniqueFd fd_;  // closing it releases the lock
  int index_ = -1;
};

// mkdir with mode 0700; true when the directory exists afterwards (made now or before).
bool ensure_directory(const std::string& path);

}  // namespace dbg::worker::core
