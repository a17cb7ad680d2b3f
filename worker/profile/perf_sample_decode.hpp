#pragma once
// One PERF_RECORD_SAMPLE of the profiler's events, decoded into the ThreadCapture the unwinder
// reads (registers from the sample's user registers, memory from its copy of the user stack).
// The layout is fixed by kPerfSampleType and kPerfRegsMask, which the events are opened with.
// The bytes come from the kernel, but every length is checked against the record's size anyway:
// a record that is truncated, claims more stack than it carries, or has bytes left over after
// the last field is refused, and the capture is left without registers.
#include <linux/perf_event.h>

#include <cstddef>
#include <cstdint>

#include "dbg/error.hpp"
#include "worker/capture/process_capture.hpp"

namespace dbg::worker {

inline constexpr uint64_t kPerfSampleType = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_PERIOD |
                                            PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
// x86-64 perf register numbers (asm/perf_regs.h): AX BX CX DX SI DI BP SP IP (0..8) and
// R8..R15 (16..23): every general register libdw's x86-64 unwinder can use. FLAGS and the
// segment registers are left out (not used to unwind; DS..GS are refused on x86-64).
inline constexpr uint64_t kPerfRegsMask = 0x1ffull | (0xffull << 16);
inline constexpr size_t kPerfRegsCount = 17;
// perf_event_attr.sample_stack_user must be a multiple of 8 below 65535 (the record's size is a
// u16), and the kernel shrinks the dump further to fit the record.
inline constexpr size_t kPerfMaxStackBytes = 65528;

struct PerfSample {
  uint32_t pid = 0, tid = 0;
  uint64_t ip = 0, time = 0;
  uint64_t period = 0;  // for a clock event: the nanoseconds of CPU this sample stands for
};

// record/size: one whole record, header included (as PerfEventRing::drain hands it over). On
// success `thread` holds tid, registers (have_registers true) and the stack copy (stack_start =
// sp); its stack vector is reused. Errors: bad_record (what was wrong), no_registers (a sample
// with no user registers, e.g. taken while the thread had no user context).
Result<void> decode_perf_sample(const uint8_t* record, size_t size, PerfSample& sample, ThreadCapture& thread);

}  // namespace dbg::worker
