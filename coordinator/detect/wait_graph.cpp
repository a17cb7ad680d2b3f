#include "coordinator/detect/wait_graph.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>

namespace dbg::coord::detect {

bool is_mutex_lock_function(const std::string& function) {
  // glibc names the same entry point with one to three leading underscores across versions
  // (pthread_mutex_lock, __pthread_mutex_lock, ___pthread_mutex_lock) and a "__GI_" prefix for
  // internal aliases: compare without them.
  std::string_view name = function;
  name = name.substr(0, name.find('@'));  // symbol versions: "pthread_mutex_lock@@GLIBC_2.2.5"
  while (!name.empty() && name.front() == '_') name.remove_prefix(1);
  // libc's internal aliases: "__GI___lll_lock_wait" is __lll_lock_wait.
  if (name.rfind("GI_", 0) == 0) name.remove_prefix(3);
  while (!name.empty() && name.front() == '_') name.remove_prefix(1);
  static const std::set<std::string_view> kLocks = {
      "pthread_mutex_lock",       "pthread_mutex_timedlock",        "pthread_mutex_clocklock",
      "pthread_mutex_lock_full",  "pthread_mutex_clocklock_common", "pthread_mutex_timedlock64",
      "pthread_mutex_clocklock64", "lll_lock_wait",                 "lll_mutex_lock_optimized",
      "futex_lock_pi64",
  };
  return kLocks.count(name) > 0;
}

namespace {

bool waits_on_mutex(const ThreadStack& t) {
  if (!t.wait || !t.wait->mutex_owner || t.error) return false;
  return std::any_of(t.frames.begin(), t.frames.end(),
                     [](const Frame& f) { return f.function && is_mutex_lock_function(*f.function); });
}

std::string plural(size_t n, const char* one, const char* many) { return std::to_string(n) + " " + (n == 1 ? one : many); }

}  // namespace

std::vector<Finding> find_deadlocks(const Snapshot& snapshot) {
  std::map<int, const ThreadStack*> by_tid;
  for (const auto& t : snapshot.threads) by_tid[t.tid] = &t;
  // The edges: waiting thread -> owner of its mutex, when the owner is one of ours.
  std::map<int, int> next;
  for (const auto& t : snapshot.threads) {
    if (!waits_on_mutex(t)) continue;
    int owner = *t.wait->mutex_owner;
    // owner == tid: a thread relocking a normal mutex it holds, a cycle of one.
    if (by_tid.count(owner)) next[t.tid] = owner;
  }
  std::vector<Finding> out;
  std::set<int> done;  // nodes whose walk ended (in a cycle already reported, or nowhere)
  for (const auto& [start, ignored] : next) {
    std::vector<int> path;
    std::map<int, size_t> position;
    int at = start;
    while (!done.count(at) && !position.count(at) && next.count(at)) {
      position[at] = path.size();
      path.push_back(at);
      at = next[at];
    }
    if (position.count(at)) {  // came back into this walk: path[position[at]..] is a cycle
      std::vector<int> cycle(path.begin() + static_cast<std::ptrdiff_t>(position[at]), path.end());
      std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
      Finding f;
      f.kind = "deadlock";
      for (int tid : cycle) {
        const ThreadStack& t = *by_tid[tid];
        FindingThread ft{t.tid, t.name, t.state, t.wait->addr, t.wait->mutex_owner, t.frames, first_frame_outside_libc(t.frames)};
        f.mutexes.push_back(t.wait->addr);
        f.threads.push_back(std::move(ft));
      }
      f.message = cycle.size() == 1 ? std::string("deadlock: 1 thread waits on a mutex it holds (mutexes ")
                                    : "deadlock: " + plural(cycle.size(), "thread waits", "threads wait") + " on each other (mutexes ";
      for (size_t i = 0; i < f.mutexes.size(); ++i) f.message += (i ? ", " : "") + hex(f.mutexes[i]);
      f.message += ")";
      out.push_back(std::move(f));
    }
    done.insert(path.begin(), path.end());
  }
  return out;
}

}  // namespace dbg::coord::detect
