#include "worker/watch/watch_crash_context.hpp"

#include <signal.h>
#include <string.h>
#include <time.h>

#include "dbg/snapshot.hpp"
#include "dbg/utf8.hpp"
#include "worker/capture/monotonic_clock.hpp"
#include "worker/snapshot/thread_stack.hpp"
#include "worker/unwind/process_unwinder.hpp"
#include "worker/watch/watch_memory.hpp"
#include "worker/watch/watch_messages.hpp"
#include "worker/watch/watch_signals.hpp"
#include "worker/watch/watch_variables.hpp"

namespace dbg::worker {

namespace {

nlohmann::json registers_json(const user_regs_struct& r) {
  return {{"rip", hex(r.rip)}, {"rsp", hex(r.rsp)}, {"rbp", hex(r.rbp)}, {"rax", hex(r.rax)}, {"rbx", hex(r.rbx)},
          {"rcx", hex(r.rcx)}, {"rdx", hex(r.rdx)}, {"rsi", hex(r.rsi)}, {"rdi", hex(r.rdi)}, {"r8", hex(r.r8)},
          {"r9", hex(r.r9)},   {"r10", hex(r.r10)}, {"r11", hex(r.r11)}, {"r12", hex(r.r12)}, {"r13", hex(r.r13)},
          {"r14", hex(r.r14)}, {"r15", hex(r.r15)}, {"eflags", hex(r.eflags)}, {"fs_base", hex(r.fs_base)},
          {"orig_rax", hex(r.orig_rax)}};
}

}  // namespace

nlohmann::json CrashContextBuilder::build(const CrashInput& in) {
  double begin = now_us();
  const ProcessCapture& capture = *in.capture;
  const ThreadCapture& crashing = capture.threads.front();
  pid_t pid = capture.pid;
  std::string code_name = signal_code_name(in.signal, in.code);

  nlohmann::json ctx;
  ctx["type"] = signal_name(in.signal) + "/" + code_name;
  ctx["signal"] = in.signal;
  ctx["signal_name"] = signal_name(in.signal);
  ctx["code"] = in.code;
  ctx["code_name"] = code_name;
  ctx["timestamp_ms"] = in.timestamp_ms;
  ctx["pid"] = pid;
  ctx["comm"] = capture.comm;
  ctx["tid"] = crashing.tid;
  ctx["thread_name"] = crashing.name;
  ctx["capture_us"] = capture.capture_us;

  auto maps = read_maps(pid);
  std::vector<uint64_t> sps;
  for (const auto& t : capture.threads) {
    if (t.have_registers) sps.push_back(t.regs.rsp);
  }
  std::string fault_class;
  if (in.has_fault_address) {
    fault_class = classify_address(maps, in.fault_address, sps);
    const Mapping* m = find_mapping(maps, in.fault_address);
    ctx["fault"] = {{"address", hex(in.fault_address)}, {"class", fault_class},
                    {"mapping", m && !m->path.empty() ? nlohmann::json(m->path) : nlohmann::json(nullptr)}};
  } else {
    ctx["fault"] = nullptr;
  }
  ctx["registers"] = crashing.have_registers ? registers_json(crashing.regs) : nlohmann::json(nullptr);

  // Stacks: the crashing thread with each frame's registers (for the variables), the others plain.
  auto unwinder = ProcessUnwinder::create(pid, elf_cache_);
  const Result<ProcessUnwinder*> session =
      unwinder ? Result<ProcessUnwinder*>(unwinder.value().get()) : Result<ProcessUnwinder*>(unwinder.error());
  std::vector<RawFrame> crashing_frames;
  nlohmann::json threads = nlohmann::json::array();
  CacheStats stats;
  for (size_t i = 0; i < capture.threads.size(); ++i) {
    const StackRequest request{in.options.max_depth, protocol::SourceMode::kAll, i == 0 ? &crashing_frames : nullptr};
    nlohmann::json tj = unwind_thread_stack(capture, capture.threads[i], session, symbolizer_, request, stats);
    if (i == 0) tj["crashing"] = true;
    threads.push_back(std::move(tj));
  }
  ctx["threads"] = std::move(threads);
  ctx["omitted_threads"] = in.omitted_threads;

  // The message: what the process said about its own death, else what the signal says.
  std::optional<std::string> abort_message;
  std::optional<UncaughtException> exception;
  if (in.signal == SIGABRT && unwinder) abort_message = read_abort_message(unwinder.value()->dwfl(), pid, kMaxCrashMessageChars);
  if (in.signal == SIGABRT && !abort_message && crashing.have_registers)
    exception = find_uncaught_exception(pid, crashing, maps, kMaxCrashMessageChars);
  ctx["abort_message"] = abort_message ? nlohmann::json(*abort_message) : nlohmann::json(nullptr);
  if (exception) {
    ctx["exception"] = {{"type", exception->type},
                        {"what", exception->what ? nlohmann::json(*exception->what) : nlohmann::json(nullptr)},
                        {"object", hex(exception->object)}};
  } else {
    ctx["exception"] = nullptr;
  }
  std::string message;
  if (abort_message) {
    message = *abort_message;
  } else if (exception) {
    message = "terminate called after throwing an instance of '" + exception->type + "'";
    if (exception->what) message += ": what(): " + *exception->what;
  } else if (in.signal == SIGABRT) {
    message = "abort() called";
  } else {
    message = std::string(::strsignal(in.signal)) + " (" + code_name + ")";
    if (in.has_fault_address) message += " at " + hex(in.fault_address) + " [" + fault_class + "]";
  }
  // Bounded in bytes, never inside a UTF-8 sequence (a split one would not survive JSON).
  ctx["message"] = std::string(utf8_prefix_bytes(message, kMaxCrashMessageChars));

  if (unwinder && in.options.max_variables > 0 && !crashing_frames.empty()) {
    ctx["variables"] = key_variables(unwinder.value()->dwfl(), pid, crashing_frames, in.options.max_variables);
  } else {
    ctx["variables"] = nullptr;
  }
  ctx["analysis_us"] = now_us() - begin;
  return ctx;
}

}  // namespace dbg::worker
