#include "worker/watch/watch_signals.hpp"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "dbg/unique_fd.hpp"

namespace dbg::worker {

namespace {

struct CodeName {
  int code;
  const char* name;
};

const char* find_code(const CodeName* table, size_t n, int code) {
  for (size_t i = 0; i < n; ++i) {
    if (table[i].code == code) return table[i].name;
  }
  return nullptr;
}

template <size_t N>
const char* find_code(const CodeName (&table)[N], int code) {
  return find_code(table, N, code);
}

// Codes any signal may carry (sent by a process rather than raised by a fault).
const CodeName kGeneric[] = {{SI_USER, "SI_USER"},   {SI_KERNEL, "SI_KERNEL"},   {SI_QUEUE, "SI_QUEUE"},
                             {SI_TIMER, "SI_TIMER"}, {SI_MESGQ, "SI_MESGQ"},     {SI_ASYNCIO, "SI_ASYNCIO"},
                             {SI_SIGIO, "SI_SIGIO"}, {SI_TKILL, "SI_TKILL"}};
const CodeName kSegv[] = {{SEGV_MAPERR, "SEGV_MAPERR"}, {SEGV_ACCERR, "SEGV_ACCERR"}, {3, "SEGV_BNDERR"},
                          {4, "SEGV_PKUERR"},           {5, "SEGV_ACCADI"},           {6, "SEGV_ADIDERR"},
                          {7, "SEGV_ADIPERR"},          {8, "SEGV_MTEAERR"},          {9, "SEGV_MTESERR"}};
const CodeName kBus[] = {{BUS_ADRALN, "BUS_ADRALN"}, {BUS_ADRERR, "BUS_ADRERR"}, {BUS_OBJERR, "BUS_OBJERR"},
                         {4, "BUS_MCEERR_AR"},       {5, "BUS_MCEERR_AO"}};
const CodeName kFpe[] = {{FPE_INTDIV, "FPE_INTDIV"}, {FPE_INTOVF, "FPE_INTOVF"}, {FPE_FLTDIV, "FPE_FLTDIV"},
                         {FPE_FLTOVF, "FPE_FLTOVF"}, {FPE_FLTUND, "FPE_FLTUND"}, {FPE_FLTRES, "FPE_FLTRES"},
                         {FPE_FLTINV, "FPE_FLTINV"}, {FPE_FLTSUB, "FPE_FLTSUB"}};
const CodeName kIll[] = {{ILL_ILLOPC, "ILL_ILLOPC"}, {ILL_ILLOPN, "ILL_ILLOPN"}, {ILL_ILLADR, "ILL_ILLADR"},
                         {ILL_ILLTRP, "ILL_ILLTRP"}, {ILL_PRVOPC, "ILL_PRVOPC"}, {ILL_PRVREG, "ILL_PRVREG"},
                         {ILL_COPROC, "ILL_COPROC"}, {ILL_BADSTK, "ILL_BADSTK"}};
const CodeName kTrap[] = {{TRAP_BRKPT, "TRAP_BRKPT"}, {TRAP_TRACE, "TRAP_TRACE"}, {3, "TRAP_BRANCH"},
                          {4, "TRAP_HWBKPT"}};
const CodeName kSys[] = {{1, "SYS_SECCOMP"}};

}  // namespace

bool is_crash_signal(int sig) {
  switch (sig) {
    case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL: case SIGABRT: case SIGSYS: case SIGTRAP:
      return true;
    default:
      return false;
  }
}

std::string signal_name(int sig) {
  if (const char* abbrev = ::sigabbrev_np(sig)) return std::string("SIG") + abbrev;
  return "SIG" + std::to_string(sig);
}

std::string signal_code_name(int sig, int code) {
  // Codes <= 0 are "who sent it" (SI_USER, SI_TKILL, ...) for every signal; positive ones are
  // per-signal fault reasons, except SI_KERNEL (0x80).
  const char* name = nullptr;
  if (code > 0 && code != SI_KERNEL) {
    switch (sig) {
      case SIGSEGV: name = find_code(kSegv, code); break;
      case SIGBUS: name = find_code(kBus, code); break;
      case SIGFPE: name = find_code(kFpe, code); break;
      case SIGILL: name = find_code(kIll, code); break;
      case SIGTRAP: name = find_code(kTrap, code); break;
      case SIGSYS: name = find_code(kSys, code); break;
      default: break;
    }
  } else {
    name = find_code(kGeneric, code);
  }
  return name ? std::string(name) : "code " + std::to_string(code);
}

bool code_has_fault_address(int sig, int code) {
  if (code <= 0 || code == SI_KERNEL) return false;
  return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP;
}

std::optional<SignalDisposition> read_disposition(pid_t pid, pid_t tid, int sig) {
  std::string path = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return std::nullopt;
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd.get(), buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
  auto mask = [&](const char* key) -> std::optional<unsigned long long> {
    auto pos = text.find(key);
    if (pos == std::string::npos) return std::nullopt;
    return std::strtoull(text.c_str() + pos + std::strlen(key), nullptr, 16);
  };
  auto caught = mask("SigCgt:");
  auto ignored = mask("SigIgn:");
  if (!caught || !ignored) return std::nullopt;
  unsigned long long bit = 1ULL << (sig - 1);
  return SignalDisposition{(*caught & bit) != 0, (*ignored & bit) != 0};
}

}  // namespace dbg::worker
