#pragma once
// The signature of an error: which events are "the same error" and count in one group.
//
// Built from the failing thread's frames (innermost first) and the error's class, the way
// error trackers do it:
//   1. each frame becomes a key: "module!function" with the function normalized
//      (function_name.hpp: no arguments, templates collapsed, no addresses or lines); a frame
//      without a symbol is "module+0xOFFSET" (the ELF offset, stable across runs and ASLR) so
//      that unsymbolized code does not collapse into one group (getsentry/sentry#47611);
//   2. the abort/assert/signal, malloc-check and C++ throw/terminate machinery at the top of the
//      stack is skipped (raise, abort, __assert_fail, __libc_message, __cxa_throw, ...), and the
//      process/thread start frames at the bottom (_start, __libc_start_main, start_thread,
//      clone3) are dropped anywhere: they say nothing about the error and vary with glibc;
//   3. recursion is collapsed: a repeated frame or repeated cycle of up to kMaxCycle frames
//      counts once, and the frames below a recursion are dropped, because whether a capture
//      reached them depends on the depth limit and the recursion depth, not on the bug;
//   4. the first kSignatureFrames keys that remain are kept (see below);
//   5. "v1", the class and the keys are hashed (FNV-1a, 128 bits) to 32 hex digits.
// An event with no usable frame is keyed by its whole type, comm and message (numbers masked),
// so that, say, every "exit/1" of every program does not become one group.
//
// Why 8 frames: 3 (ClusterFuzz's crash state) over-groups different bugs reached through one
// shared helper (google/oss-fuzz#1036); the whole stack splits one bug reached through many call
// paths. After skipping and collapsing, 8 covers the crash site and its callers well past any
// shared helper, and stays inside the watch's default 20-frame capture.
//
// All pure functions: no I/O, no state, total on any input (fuzzed).
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "dbg/snapshot.hpp"

namespace dbg::coord::errors {

inline constexpr std::size_t kSignatureFrames = 8;
inline constexpr std::size_t kMaxCycle = 8;
// Frames looked at; the rest of a longer (API-reported) stack is ignored.
inline constexpr std::size_t kMaxInputFrames = 256;

struct Signature {
  std::string hash;                 // 32 lower-case hex digits
  std::string error_class;          // "SIGSEGV", "exit", or the reported type
  std::vector<std::string> frames;  // the keys hashed, innermost first (shown with a group)
};

// "SIGSEGV/SEGV_MAPERR" -> "SIGSEGV", "exit/3" -> "exit", anything else unchanged (bounded).
std::string error_class_of(std::string_view type);

// The key of one frame ("libfoo.so!ns::Foo<T>::bar", "app+0x1a2b", or "?" for an unmapped pc).
std::string frame_key(const Frame& frame);

// True for the machinery frames skipped at the top of a stack (function names as normalized).
bool is_machinery_function(std::string_view normalized_function);
// True for process and thread start frames (_start, __libc_start_main, start_thread, ...).
bool is_entry_function(std::string_view normalized_function);

// Steps 1-4: the keys that make the signature.
std::vector<std::string> signature_frames(const std::vector<Frame>& frames);

// Collapses recursion in a list of keys (step 3, without the limit of step 4).
std::vector<std::string> collapse_recursion(const std::vector<std::string>& keys);

// Masks what varies between occurrences of one message (numbers, hex addresses) for the
// frameless fallback: "exit status 3 at 0x7ffd1234" -> "exit status N at 0xN".
std::string message_shape(std::string_view message);

Signature compute_signature(std::string_view type, std::string_view message, std::string_view comm,
                            const std::vector<Frame>& frames);
// Step 5 alone, from keys signature_frames() gave: what compute_signature puts in `hash`. With
// keys, only the class and the keys count (so a caller that has hashed them for one class may
// reuse the hash); without, the type, comm and message shape do.
std::string signature_hash(std::string_view error_class, std::string_view type, std::string_view message,
                           std::string_view comm, const std::vector<std::string>& keys);

// 128-bit FNV-1a as 32 hex digits: stable across builds, hosts and versions of this program
// (std::hash is none of these).
std::string fnv1a128_hex(std::string_view bytes);

}  // namespace dbg::coord::errors
