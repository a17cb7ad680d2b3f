#pragma once
// A detector's finding (a deadlock cycle, or threads spinning in place), in the two shapes it
// leaves in: the session target's "findings" entry, and an error event (source "detector") that
// the error groups count like crashes.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/errors/error_event.hpp"
#include "dbg/snapshot.hpp"

namespace dbg::coord::detect {

struct FindingThread {
  int tid = 0;
  std::string name;
  char state = '?';
  std::optional<uint64_t> waits_on;  // the mutex it waits for (deadlock)
  std::optional<int> owner;          // that mutex's owner: the next thread of the cycle
  std::vector<Frame> frames;         // innermost first, as in the snapshot
  std::optional<Frame> where;        // the first frame outside libc: where the program waits or spins
};

struct Finding {
  std::string kind;  // "deadlock" or "hang"
  std::vector<FindingThread> threads;  // deadlock: in cycle order, lowest tid first
  std::vector<uint64_t> mutexes;       // deadlock: threads[i] waits on mutexes[i]
  int snapshots = 1;                   // how many snapshots agree
  std::string message;
};

// True for frames of the C library and the dynamic loader (libc.so.6, libpthread.so.0,
// ld-linux-x86-64.so.2): not where a program's own code waits.
bool is_libc_frame(const Frame& f);
// The first frame (innermost first) outside libc, or nullopt when every frame is libc's.
std::optional<Frame> first_frame_outside_libc(const std::vector<Frame>& frames);

// {"kind","message","snapshots","threads":[{"tid","name","state","waits_on","owner","where"}],"mutexes"}
nlohmann::json to_json(const Finding& f);

// source "detector"; kind "deadlock"/"hang"; type "DEADLOCK"/"BUSY_HANG"; frames of the first
// thread; context {"threads":[{"tid","name","state","waits_on","owner","frames"}],"mutexes":[…]}.
errors::ErrorEvent to_error_event(const Finding& f, int pid, const std::string& comm, int64_t timestamp_ms);

}  // namespace dbg::coord::detect
