#include "coordinator/analysis/explanation.hpp"

#include <cstdio>

namespace dbg::coord::analysis {

std::string_view class_description(std::string_view cls) {
  if (cls == "null_dereference") return "a read, write or call through a null pointer (fault address in the first page)";
  if (cls == "invalid_address") return "an access to memory the process may not touch: a wild or freed pointer, unmapped or read-only memory";
  if (cls == "stack_overflow") return "the stack ran out (unbounded or too deep recursion): the fault is in the stack guard";
  if (cls == "assertion_failure") return "an assert() failed and aborted the process";
  if (cls == "heap_corruption") return "glibc's malloc found its heap damaged (double free, invalid pointer, overwritten chunk) and aborted";
  if (cls == "stack_smashing") return "the stack protector found a buffer overflow on the stack (__stack_chk_fail) and aborted";
  if (cls == "uncaught_exception") return "a C++ exception left its thread unhandled and std::terminate aborted the process";
  if (cls == "division_by_zero") return "an integer division by zero (or INT_MIN / -1): SIGFPE";
  if (cls == "illegal_instruction") return "the CPU met an invalid instruction (a trap such as __builtin_trap, or a jump into data): SIGILL";
  if (cls == "bus_error") return "an access the bus cannot serve: past the end of a mapped file, or misaligned with alignment checks: SIGBUS";
  if (cls == "abort") return "the process called abort() (or raised SIGABRT) with no assertion, heap check or exception behind it";
  if (cls == "deadlock") return "threads wait for mutexes held by each other (or by themselves), so none can go on";
  if (cls == "busy_hang") return "a thread keeps spinning on the CPU without making progress";
  return "no class fits with enough confidence";
}

std::string explain(const Prediction& p, double threshold) {
  char conf[32];
  std::snprintf(conf, sizeof conf, "%.2f", p.confidence);
  std::string out;
  if (p.cls == kUnknownClass && p.confidence >= threshold) {
    // The model's own "unknown" class won: an exit or a report without crash context.
    out = "no crash class fits: a non-zero exit or an error report without a crash context (confidence " +
          std::string(conf) + ")";
  } else if (p.cls == kUnknownClass) {
    out = "no class reached the confidence threshold (best " + std::string(conf) + " < ";
    std::snprintf(conf, sizeof conf, "%.2f", threshold);
    out += std::string(conf) + ")";
  } else {
    out = std::string(class_description(p.cls)) + " (confidence " + conf + ")";
  }
  if (!p.evidence.empty()) {
    out += "; evidence: ";
    for (std::size_t i = 0; i < p.evidence.size(); ++i) {
      if (i) out += ", ";
      out += p.evidence[i].first;
    }
  }
  return out;
}

}  // namespace dbg::coord::analysis
