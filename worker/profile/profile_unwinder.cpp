#include "worker/profile/profile_unwinder.hpp"

#include "worker/proc/proc_info.hpp"

namespace dbg::worker {

ProcessUnwinder* ProfileUnwinder::refresh(double now) {
  if (unwinder_ && now - checked_at_ < kCheckEvery) return unwinder_.get();
  checked_at_ = now;
  uint64_t hash = executable_maps_hash(pid_);
  if (unwinder_ && hash == maps_hash_) return unwinder_.get();
  auto created = ProcessUnwinder::create(pid_, elf_cache_);
  if (created) {
    unwinder_ = std::move(created.value());
    maps_hash_ = hash;
  }
  return unwinder_.get();
}

}  // namespace dbg::worker
