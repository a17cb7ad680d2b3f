#pragma once
// The fuzz targets' entry points, one per parser that takes bytes from outside the coordinator
// (HTTP clients, the worker pipe, targets' own memory). Each is a plain function so that two
// drivers share them: libfuzzer_main.cpp (clang, -DDBG_FUZZ=ON, one executable per target)
// and replay_corpus.cpp (the normal gcc build: every committed corpus file run once, so a
// fixed crash stays fixed without clang).
//
// Contract of every entry: any bytes in, returns normally. A crash, a sanitizer report or an
// abort() from a broken invariant is the finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dbg::fuzz {

// Raw bytes as an HTTP/1.1 request through Beast's parser (the server's limits), then the
// router with a valid token: health, error-group and logging routes over a temp SQLite store.
void http_one_input(const uint8_t* data, size_t size);
// A worker-pipe line: parse_request, parse_envelope, parse_bounded_json (+ snapshot options).
void protocol_one_input(const uint8_t* data, size_t size);
// A worker's snapshot result body through the SAX parser; a parsed one must round-trip.
void snapshot_wire_one_input(const uint8_t* data, size_t size);
// Demangled names through normalize_function; message_shape; lists of names as frames through
// compute_signature.
void function_name_one_input(const uint8_t* data, size_t size);
// A POST /api/v1/errors/events body through parse_error_events, then each event's signature.
void error_event_one_input(const uint8_t* data, size_t size);
// Registers and a stack copy built from the bytes, unwound offline against this process's
// real module map.
void unwind_one_input(const uint8_t* data, size_t size);
// The head of an ELF core (header, program headers, notes) through the crash handler's parser.
void core_notes_one_input(const uint8_t* data, size_t size);
// A crash handler's report (spool/new/<id>.json) through the coordinator's conversion to an
// error event (coordinator/crash/crash_report.hpp), and the same bytes as spool/counters.json.
void crash_report_one_input(const uint8_t* data, size_t size);

struct Target {
  std::string_view name;  // also the corpus directory: fuzz/corpus/<name>/
  void (*one_input)(const uint8_t*, size_t);
};

// Every target, for the replay test and bench/fuzz.
inline constexpr Target kTargets[] = {
    {"http", http_one_input},
    {"protocol", protocol_one_input},
    {"snapshot_wire", snapshot_wire_one_input},
    {"function_name", function_name_one_input},
    {"error_event", error_event_one_input},
    {"unwind", unwind_one_input},
    {"core_notes", core_notes_one_input},
    {"crash_report", crash_report_one_input},
};

// abort()s with a message when cond is false: a broken invariant is a finding like a crash.
void check(bool cond, const char* what);

}  // namespace dbg::fuzz
