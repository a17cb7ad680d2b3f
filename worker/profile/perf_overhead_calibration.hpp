#pragma once
// What one perf sample costs the thread it is taken on, measured on this machine: the timer
// interrupt, and copying the registers and stack_bytes of user stack into the ring, all run on
// the sampled thread's CPU time here (without CONFIG_IRQ_TIME_ACCOUNTING the interrupt's time
// is charged to the task it interrupted), so that is what a perf profile takes from the target.
//
// How: on a thread of our own, a fixed busy loop is timed with CLOCK_THREAD_CPUTIME_ID, with
// the profiler's event (same sample type, registers and stack size) disabled and enabled at a
// high rate (10 kHz); per sample = (with - without) / samples. Each is run a few times and the
// minimum taken: thread CPU time does not count time preempted, so the minimum is the run least
// disturbed by cache misses and interrupts of others. About 100 ms, once per worker process and
// stack size (cached).
#include <cstddef>
#include <optional>

namespace dbg::worker {

// Nanoseconds of the sampled thread's CPU per sample, >= 0; nullopt when the calibration event
// could not be opened (then nothing is known about the cost).
std::optional<double> perf_sample_cost_ns(size_t stack_bytes);

}  // namespace dbg::worker
