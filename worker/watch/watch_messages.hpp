#pragma once
// The messages a dying process leaves in its memory (facts in /work/shared/RECIPES.md, checked
// against glibc 2.36 and libstdc++ of GCC 12 by the watch tests):
//  - glibc's __abort_msg (libc.so.6, GLIBC_PRIVATE): a pointer to {uint32 size; char msg[];}
//    set for a failed assert, heap-check aborts ("free(): double free detected in tcache 2"),
//    "*** stack smashing detected ***"; null for a plain abort() and for std::terminate.
//  - an uncaught C++ exception: its __cxa_exception header, found by the 64-bit exception class
//    "GNUCC++\0" of its _Unwind_Exception, reachable from the crashing thread's registers or
//    stack. Layout (x86-64): type_info* 80 bytes before the class, the thrown object 32 bytes
//    after it; a type_info's second word is its mangled name; std::logic_error and
//    std::runtime_error (and their standard subclasses) keep the what() text's pointer in the
//    word after the vptr.
// The process is stopped while these run; every read goes through process_vm_readv.
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include <elfutils/libdwfl.h>

#include "worker/capture/process_capture.hpp"
#include "worker/watch/watch_memory.hpp"

namespace dbg::worker {

// The message glibc recorded, cut at max_len, or nullopt when none was recorded.
std::optional<std::string> read_abort_message(Dwfl* dwfl, pid_t pid, size_t max_len);

struct UncaughtException {
  std::string type;                 // demangled: "std::runtime_error"
  std::optional<std::string> what;  // read only for the standard types that store it as above
  uint64_t object = 0;              // address of the thrown object
};
std::optional<UncaughtException> find_uncaught_exception(pid_t pid, const ThreadCapture& crashing,
                                                         const std::vector<Mapping>& maps, size_t max_len);

}  // namespace dbg::worker
