// The text format: reads like eu-stack / gdb backtraces, for humans and curl.
//   PID 4242 (chain) - 3 threads, consistency thread, capture 45 us, unwind 1.2 ms
//   TID 4242 "chain" S paused 12 us:
//   #0  0x00007f1c2a8e51b4 clock_nanosleep - libc.so.6+0xe51b4
//   #1  0x000055d0c0de1189 level_3 (chain.c:21) - chain+0x1189 [inlined]
// A thread blocked in futex() gets one more line under its TID line:
//   waits in futex on 0x55d0c8a04068 (op 128), mutex owner 4244
#include <cstdio>
#include <string>

#include "dbg/snapshot.hpp"

namespace dbg {

void append_frame_text(std::string& out, size_t index, const Frame& f) {
  char head[64];
  std::snprintf(head, sizeof head, "#%-2zu 0x%016llx ", index, static_cast<unsigned long long>(f.pc));
  out += head;
  out += f.function ? *f.function : "??";
  if (f.file) {
    out += " (" + *f.file;
    if (f.line) out += ":" + std::to_string(*f.line);
    out += ")";
  }
  out += " - " + f.module + "+" + hex(f.offset);
  if (f.inlined) out += " [inlined]";
  out += "\n";
}

std::string format_duration_us(double us) {
  char buf[32];
  if (us >= 1000.0) {
    std::snprintf(buf, sizeof buf, "%.1f ms", us / 1000.0);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f us", us);
  }
  return buf;
}

std::string format_text(const Snapshot& s) {
  std::string out = "PID " + std::to_string(s.pid) + " (" + s.comm + ") - " + std::to_string(s.threads.size()) +
                    " threads, consistency " + s.consistency + ", capture " + format_duration_us(s.capture_us) +
                    ", unwind " + format_duration_us(s.unwind_us) + "\n";
  for (const auto& t : s.threads) {
    out += "TID " + std::to_string(t.tid) + " \"" + t.name + "\" " + std::string(1, t.state) + " paused " +
           format_duration_us(t.pause_us) + ":\n";
    if (t.error) out += "  error " + t.error->code + ": " + t.error->message + "\n";
    if (t.wait) {
      out += "  waits in " + t.wait->syscall + " on " + hex(t.wait->addr) + " (op " + std::to_string(t.wait->op) + ")";
      if (t.wait->mutex_owner) out += ", mutex owner " + std::to_string(*t.wait->mutex_owner);
      out += "\n";
    }
    for (size_t i = 0; i < t.frames.size(); ++i) append_frame_text(out, i, t.frames[i]);
    if (t.truncated) out += "  ... truncated (" + *t.truncated + ")\n";
  }
  return out;
}

}  // namespace dbg
