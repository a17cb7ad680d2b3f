#pragma once
// The classifier's features of one error event: feature set "crash-features" version 1, the
// same set scripts/crash_features.py computes when training (the two must agree token for
// token; the model test checks it on the whole committed corpus). docs/analysis.md lists them.
//
// The event is JSON in the shape the coordinator stores and serves ({"source", "kind", "type",
// "message", "frames": [{"function", "module", ...}], "context": {...}}), so the same code
// reads API answers, corpus rows and events being ingested. Pure: no I/O, no state.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dbg::coord::analysis {

inline constexpr std::size_t kTopFrames = 8;
inline constexpr std::size_t kMaxMessageTokens = 32;
inline constexpr std::size_t kMinToken = 3;
inline constexpr std::size_t kMaxToken = 24;
inline constexpr int kRecursionMin = 4;
inline constexpr std::size_t kMaxRecursionFrames = 64;

// Sorted, without duplicates ("sig:SIGSEGV", "fault:null_page", "msg:assertion", ...).
std::vector<std::string> extract_features(const nlohmann::json& event);

// What the cache compares to decide whether a group's context changed in a way that matters:
// FNV-1a 64 over the sorted features.
std::uint64_t feature_hash(const std::vector<std::string>& features);

// Lower-case runs of ASCII letters, kMinToken..kMaxToken long, in order of first appearance,
// without repeats (exposed for tests).
std::vector<std::string> text_tokens(std::string_view text);

}  // namespace dbg::coord::analysis
