#include "coordinator/errors/signature.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <iterator>
#include <optional>
#include <unordered_map>

#include "coordinator/errors/function_name.hpp"
#include "dbg/utf8.hpp"

namespace dbg::coord::errors {

namespace {

constexpr std::size_t kMaxClassBytes = 128;
constexpr std::size_t kMaxShapeBytes = 200;

// glibc exports some internals under an alias ("__GI_raise", "__GI___libc_free").
std::string_view without_glibc_alias(std::string_view name) {
  if (name.starts_with("__GI_")) name.remove_prefix(5);
  return name;
}

template <std::size_t N>
bool contains(const std::string_view (&names)[N], std::string_view name) {
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

// What runs between the faulting code and the signal or the abort: assert and abort, glibc's
// fatal-message and heap-check paths, the pthread_kill that raise() is made of, and the C++
// exception and terminate machinery (libstdc++, libgcc's unwinder). The code that called into it
// is the error's site.
constexpr std::string_view kMachinery[] = {
    "raise", "gsignal", "abort", "__assert_fail", "__assert_fail_base", "__assert_perror_fail", "__assert",
    "__libc_message", "__libc_message_impl", "__libc_fatal", "__fortify_fail", "__chk_fail", "__stack_chk_fail",
    "__stack_chk_fail_local", "__pthread_kill_implementation", "__pthread_kill_internal", "__pthread_kill",
    "pthread_kill", "__restore_rt", "__kernel_vsyscall",
    // malloc's consistency checks ("free(): double free detected", "corrupted size vs. prev_size")
    "malloc_printerr", "_int_free", "_int_free_merge_chunk", "_int_free_create_chunk", "_int_free_maybe_consolidate",
    "_int_malloc", "_int_realloc", "_int_memalign", "malloc_consolidate", "unlink_chunk", "tcache_double_free_verify",
    "__malloc_assert", "__libc_free", "__libc_malloc", "__libc_realloc", "__libc_calloc", "free", "cfree", "malloc",
    "realloc", "calloc",
    // C++ throw, rethrow, terminate
    "__cxa_throw", "__cxa_rethrow", "__cxa_call_terminate", "__cxa_call_unexpected", "__cxa_pure_virtual",
    "__cxa_deleted_virtual", "__cxa_bad_cast", "__cxa_bad_typeid", "__cxa_throw_bad_array_new_length",
    "_Unwind_RaiseException", "_Unwind_Resume", "_Unwind_Resume_or_Rethrow", "_Unwind_ForcedUnwind",
    "__gxx_personality_v0", "__clang_call_terminate", "std::terminate", "std::rethrow_exception",
    "__gnu_cxx::__verbose_terminate_handler", "__cxxabiv1::__terminate", "__cxxabiv1::__unexpected",
    "__cxxabiv1::__cxa_throw",
    // the standard library's throw helpers (vector::at -> __throw_out_of_range_fmt -> __cxa_throw)
    "std::__throw_bad_alloc", "std::__throw_length_error", "std::__throw_out_of_range", "std::__throw_out_of_range_fmt",
    "std::__throw_logic_error", "std::__throw_invalid_argument"};

// Process and thread start, and the std::thread/std::invoke glue under a thread's function: the
// same for every error, different between glibc versions.
constexpr std::string_view kBoilerplate[] = {
    "_start", "__libc_start_main", "__libc_start_main_impl", "__libc_start_main_alias_2", "__libc_start_call_main",
    "start_thread", "clone", "clone3", "__clone", "__clone3", "__clone_internal", "thread_start",
    "execute_native_thread_routine", "std::thread::_State_impl<T>::_M_run", "std::thread::_Invoker<T>::operator()",
    "std::thread::_Invoker<T>::_M_invoke<T>", "std::thread::_Invoker<T>::_M_invoke", "std::__invoke<T>",
    "std::__invoke_impl<T>", "std::__invoke_r<T>"};

// Runtime libraries whose unsymbolized frames at the top of a stack are machinery too (a
// stripped libc without .dynsym entries for its internals); their offsets differ per build.
bool is_runtime_module(std::string_view module) {
  for (std::string_view lib : {"libc.so", "libc-", "libstdc++.so", "libgcc_s.so", "libpthread.so", "ld-linux"}) {
    if (module.starts_with(lib)) return true;
  }
  return false;
}

// "libfoo.so.1.2.3" -> "libfoo.so": a library upgrade keeps the group (symbols are names).
std::string_view module_for_symbol(std::string_view module) {
  const auto so = module.find(".so.");
  return so == std::string_view::npos ? module : module.substr(0, so + 3);
}

std::string_view basename_of(std::string_view path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string hex_of(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "0x";
  bool started = false;
  for (int shift = 60; shift >= 0; shift -= 4) {
    const auto digit = static_cast<unsigned>((v >> shift) & 0xf);
    if (digit != 0 || started || shift == 0) {
      out += kDigits[digit];
      started = true;
    }
  }
  return out;
}

// normalize_function is pure, and the same few hundred names come back in every report of the
// same crashes: a per-thread memo saves most of its cost at ingest (~2 µs of an event's ~11 on the
// parse thread). Bounded: names longer than kMemoKeyBytes are not kept, and the memo is emptied
// when full, so a flood of distinct names costs at most kMemoEntries short strings per thread.
constexpr std::size_t kMemoEntries = 4096;
constexpr std::size_t kMemoKeyBytes = 256;

std::string normalized_function(std::string_view function) {
  if (function.size() > kMemoKeyBytes) return normalize_function(function);
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  thread_local std::unordered_map<std::string, std::string, Hash, std::equal_to<>> memo;
  if (auto it = memo.find(function); it != memo.end()) return it->second;
  if (memo.size() >= kMemoEntries) memo.clear();
  return memo.emplace(std::string(function), normalize_function(function)).first->second;
}

std::optional<std::string> function_of(const Frame& frame) {
  if (!frame.function || frame.function->empty()) return std::nullopt;
  std::string name = normalized_function(*frame.function);
  if (name.empty()) return std::nullopt;
  return name;
}

std::string key_of(const Frame& frame, const std::optional<std::string>& function) {
  if (function) {
    const auto module = module_for_symbol(frame.module);
    return module.empty() ? *function : std::string(module) + "!" + *function;
  }
  if (frame.module == "?") return "?";  // an unmapped pc: its address means nothing next time
  if (!frame.module.empty()) return frame.module + "+" + hex_of(frame.offset);
  // Application reports may carry a file and nothing else; the line is left out like addresses.
  if (frame.file && !frame.file->empty()) return std::string(basename_of(*frame.file));
  return "?";
}

// Whether keys[i, i+m) equals tail[from, from+m).
bool equal_run(const std::vector<std::string>& keys, std::size_t i, const std::vector<std::string>& tail,
               std::size_t from, std::size_t m) {
  for (std::size_t k = 0; k < m; ++k) {
    if (keys[i + k] != tail[from + k]) return false;
  }
  return true;
}

}  // namespace

std::string error_class_of(std::string_view type) {
  const auto slash = type.find('/');
  if (slash != std::string_view::npos) {
    const auto head = type.substr(0, slash);
    if (head == "exit" || (head.starts_with("SIG") && head.size() > 3)) return std::string(head);
  }
  std::string out(type);
  utf8_cut_bytes(out, kMaxClassBytes);
  return out;
}

std::string frame_key(const Frame& frame) { return key_of(frame, function_of(frame)); }

bool is_machinery_function(std::string_view normalized_function) {
  return contains(kMachinery, without_glibc_alias(normalized_function));
}

bool is_entry_function(std::string_view normalized_function) {
  return contains(kBoilerplate, without_glibc_alias(normalized_function));
}

std::vector<std::string> collapse_recursion(const std::vector<std::string>& keys) {
  std::vector<std::string> out;
  bool recursed = false;
  std::size_t i = 0;
  while (i < keys.size()) {
    bool repeated = false;
    for (std::size_t cycle = 1; cycle <= std::min(kMaxCycle, out.size()); ++cycle) {
      // Does the input go on with another copy of the last `cycle` kept keys? A copy cut short
      // by the end of the input counts: the capture's depth limit cut it mid-cycle.
      const std::size_t m = std::min(cycle, keys.size() - i);
      if (equal_run(keys, i, out, out.size() - cycle, m)) {
        i += m;
        repeated = true;
        break;
      }
    }
    if (repeated) {
      recursed = true;
      continue;
    }
    // The recursion is over: what called into it is dropped (see signature.hpp, step 3).
    if (recursed) break;
    out.push_back(keys[i]);
    ++i;
  }
  return out;
}

std::vector<std::string> signature_frames(const std::vector<Frame>& frames) {
  std::vector<std::string> keys;
  const std::size_t n = std::min(frames.size(), kMaxInputFrames);
  keys.reserve(n);
  bool at_top = true;  // still in the machinery above the error's site
  for (std::size_t i = 0; i < n; ++i) {
    const Frame& frame = frames[i];
    const auto function = function_of(frame);
    if (function && is_entry_function(*function)) continue;
    if (at_top) {
      if (function ? is_machinery_function(*function) : is_runtime_module(frame.module)) continue;
      at_top = false;
    }
    keys.push_back(key_of(frame, function));
  }
  auto collapsed = collapse_recursion(keys);
  if (collapsed.size() > kSignatureFrames) collapsed.resize(kSignatureFrames);
  return collapsed;
}

std::string message_shape(std::string_view message) {
  std::string out;
  out.reserve(std::min(message.size(), kMaxShapeBytes));
  std::size_t i = 0;
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  auto is_hex = [&](char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
  while (i < message.size() && out.size() < kMaxShapeBytes) {
    if (message[i] == '0' && i + 2 < message.size() && (message[i + 1] == 'x' || message[i + 1] == 'X') &&
        is_hex(message[i + 2])) {
      out += "0xN";
      i += 2;
      while (i < message.size() && is_hex(message[i])) ++i;
    } else if (is_digit(message[i])) {
      out += 'N';
      while (i < message.size() && is_digit(message[i])) ++i;
    } else {
      out += message[i++];
    }
  }
  utf8_cut_bytes(out, kMaxShapeBytes);
  return out;
}

std::string fnv1a128_hex(std::string_view bytes) {
  // FNV-1a, 128-bit parameters (offset basis and prime from the FNV specification).
  using u128 = unsigned __int128;
  const u128 prime = (static_cast<u128>(0x0000000001000000ULL) << 64) | 0x000000000000013BULL;
  u128 hash = (static_cast<u128>(0x6c62272e07bb0142ULL) << 64) | 0x62b821756295c58dULL;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= prime;
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 31; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kDigits[static_cast<unsigned>(hash & 0xf)];
    hash >>= 4;
  }
  return out;
}

std::string signature_hash(std::string_view error_class, std::string_view type, std::string_view message,
                           std::string_view comm, const std::vector<std::string>& keys) {
  // Every field is length-prefixed: a field may contain any byte (API reports), and two
  // different inputs must never spell the same text.
  std::string text = "v1";
  auto field = [&text](std::string_view value) {
    text += ' ';
    text += std::to_string(value.size());
    text += ':';
    text += value;
  };
  field(error_class);
  if (keys.empty()) {
    std::string whole_type(type);
    utf8_cut_bytes(whole_type, kMaxClassBytes);
    field("no frames");
    field(whole_type);
    field(comm.substr(0, 64));
    field(message_shape(message));
  } else {
    field("frames");
    for (const auto& key : keys) field(key);
  }
  return fnv1a128_hex(text);
}

Signature compute_signature(std::string_view type, std::string_view message, std::string_view comm,
                            const std::vector<Frame>& frames) {
  Signature out;
  out.error_class = error_class_of(type);
  out.frames = signature_frames(frames);
  out.hash = signature_hash(out.error_class, type, message, comm, out.frames);
  return out;
}

}  // namespace dbg::coord::errors
