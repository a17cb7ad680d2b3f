#pragma once
// The stable part of a demangled function name, for error signatures: what stays the same when
// the same code crashes again after a rebuild, with other arguments or another instantiation.
//
//   "void app::Pipeline<long>::stage_two(std::unique_lock<std::mutex>&) const [clone .isra.0]"
//                                                  -> "app::Pipeline<T>::stage_two"
//   "main::{lambda(int)#1}::operator()(int) const"   -> "main::{lambda#1}::operator()"
//   "(anonymous namespace)::worker(void*)"           -> "(anonymous namespace)::worker"
//   "std::__cxx11::basic_string<char>::_M_create"    -> "std::basic_string<T>::_M_create"
//   "crash_here.part.0" (a GCC clone of a C function) -> "crash_here"
//
// Argument lists, return types, cv/ref qualifiers, ABI tags and clone suffixes are dropped;
// template argument lists become "<T>" (one instantiation or another is the same code path);
// operator names ("operator()", "operator<<", "operator new[]", "operator bool") are kept
// whole. A pure function of its input, total (any bytes in, never throws beyond bad_alloc, never
// reads out of bounds) and bounded: the result is at most kMaxNormalizedFunction bytes.
#include <cstddef>
#include <string>
#include <string_view>

namespace dbg::coord::errors {

inline constexpr std::size_t kMaxNormalizedFunction = 256;
// Longer names are cut before parsing (a demangled name this long is a template monster; its
// first 4 KiB identify it).
inline constexpr std::size_t kMaxFunctionInput = 4096;

std::string normalize_function(std::string_view demangled);

}  // namespace dbg::coord::errors
