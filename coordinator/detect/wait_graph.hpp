#pragma once
// Deadlocks in one `process`-consistency snapshot, from its wait-for graph.
//
// A node is a thread blocked on a pthread mutex: it sits in futex() (the worker's "wait"), one of
// its frames is a mutex-lock function of glibc (pthread_mutex_lock, __lll_lock_wait,
// pthread_mutex_timedlock, pthread_mutex_clocklock and their internal names), and the mutex's
// owner, read while all threads were stopped, is a thread of this snapshot. Its one edge goes to
// that owner. Each thread waits for at most one mutex, so every node has at most one outgoing
// edge and a cycle is found by walking the edges from each node: a walk that comes back to a
// node of the same walk closed a cycle. Condition variables, joins and semaphores also wait in
// futex() but have no owner to point at, and their frames are not mutex locks: never a node.
#include <vector>

#include "coordinator/detect/finding.hpp"
#include "dbg/snapshot.hpp"

namespace dbg::coord::detect {

// True when `function` is one of glibc's mutex-lock entry points or their lock-wait helpers.
bool is_mutex_lock_function(const std::string& function);

// Every cycle once, its threads in wait order starting at the lowest tid.
std::vector<Finding> find_deadlocks(const Snapshot& snapshot);

}  // namespace dbg::coord::detect
