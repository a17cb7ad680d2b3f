// The snapshot's JSON without a DOM (see dbg/snapshot_wire.hpp for why).
#include "dbg/snapshot_wire.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "dbg/json_sax.hpp"
#include "dbg/utf8.hpp"

namespace dbg {

namespace {

// ---------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------

void append_hex(std::string& out, uint64_t v) {
  char buf[24] = {'0', 'x'};
  auto [end, ec] = std::to_chars(buf + 2, buf + sizeof buf, v, 16);
  out.append(buf, end);
}

void append_quoted_hex(std::string& out, uint64_t v) {
  out += '"';
  append_hex(out, v);
  out += '"';
}

template <typename Int>
void append_int(std::string& out, Int v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void append_double(std::string& out, double v) {
  // Shortest form that reads back to the same double; JSON has no NaN or infinity.
  if (!std::isfinite(v)) v = 0;
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void append_optional_string(std::string& out, const std::optional<std::string>& v) {
  if (v) {
    append_json_string(out, *v);
  } else {
    out += "null";
  }
}

void append_frame(std::string& out, const Frame& f) {
  out += "{\"pc\":";
  append_quoted_hex(out, f.pc);
  out += ",\"function\":";
  append_optional_string(out, f.function);
  out += ",\"module\":";
  append_json_string(out, f.module);
  out += ",\"offset\":";
  append_quoted_hex(out, f.offset);
  out += ",\"file\":";
  append_optional_string(out, f.file);
  out += ",\"line\":";
  if (f.line) {
    append_int(out, *f.line);
  } else {
    out += "null";
  }
  out += f.inlined ? ",\"inlined\":true}" : ",\"inlined\":false}";
}

void append_thread(std::string& out, const ThreadStack& t) {
  out += "{\"tid\":";
  append_int(out, t.tid);
  out += ",\"name\":";
  append_json_string(out, t.name);
  out += ",\"state\":";
  append_json_string(out, std::string_view(&t.state, 1));
  out += ",\"pause_us\":";
  append_double(out, t.pause_us);
  out += ",\"error\":";
  if (t.error) {
    out += "{\"code\":";
    append_json_string(out, t.error->code);
    out += ",\"message\":";
    append_json_string(out, t.error->message);
    out += '}';
  } else {
    out += "null";
  }
  out += ",\"truncated\":";
  append_optional_string(out, t.truncated);
  out += ",\"frames\":[";
  for (size_t i = 0; i < t.frames.size(); ++i) {
    if (i) out += ',';
    append_frame(out, t.frames[i]);
  }
  out += ']';
  if (t.wait) {  // absent when the thread waits on nothing, as in to_json
    out += ",\"wait\":{\"syscall\":";
    append_json_string(out, t.wait->syscall);
    out += ",\"addr\":";
    append_quoted_hex(out, t.wait->addr);
    out += ",\"op\":";
    append_int(out, t.wait->op);
    out += ",\"mutex_owner\":";
    if (t.wait->mutex_owner) {
      append_int(out, *t.wait->mutex_owner);
    } else {
      out += "null";
    }
    out += '}';
  }
  out += '}';
}

// ---------------------------------------------------------------------------------------------
// Reader: a SAX handler with an explicit stack of where it is in the document.
// ---------------------------------------------------------------------------------------------

class SnapshotReader {
 public:
  SnapshotReader(Snapshot& out, int max_depth) : out_(out), max_depth_(max_depth) {}

  // The first problem found (a schema error stops the parse at once).
  const std::string& error() const { return error_; }
  bool complete() {
    if (!error_.empty()) return false;
    if (!saw_pid_ || !saw_threads_) return fail("a snapshot needs \"pid\" and \"threads\"");
    return true;
  }

  // --- the json_sax handler interface ---
  bool null() { return scalar(Value{Kind::null}); }
  bool boolean(bool b) { return scalar(Value{Kind::boolean, b}); }
  bool number_integer(int64_t v) { return scalar(Value{Kind::integer, false, v, static_cast<double>(v)}); }
  bool number_unsigned(uint64_t v) {
    if (v > static_cast<uint64_t>(INT64_MAX)) return scalar(Value{Kind::real, false, 0, static_cast<double>(v)});
    return scalar(Value{Kind::integer, false, static_cast<int64_t>(v), static_cast<double>(v)});
  }
  bool number_float(double v) { return scalar(Value{Kind::real, false, 0, v}); }
  bool string(std::string& s) {
    Value v{Kind::text};
    v.text = &s;
    return scalar(v);
  }
  bool key(std::string& k) {
    key_ = k;
    return true;
  }
  bool start_object() { return open(true); }
  bool end_object() { return close(); }
  bool start_array() { return open(false); }
  bool end_array() { return close(); }

 private:
  enum class Where { top, snapshot, cache, threads, thread, thread_error, thread_wait, frames, frame, skipped };
  enum class Kind { null, boolean, integer, real, text };
  struct Value {
    Kind kind;
    bool b = false;
    int64_t i = 0;
    double d = 0;
    std::string* text = nullptr;
  };

  bool fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }

  Where here() const { return stack_.empty() ? Where::top : stack_.back(); }

  bool open(bool object) {
    if (static_cast<int>(stack_.size()) >= max_depth_)
      return fail("JSON nested deeper than " + std::to_string(max_depth_) + " levels");
    Where next = Where::skipped;
    switch (here()) {
      case Where::top:
        if (!object) return fail("a snapshot is a JSON object");
        next = Where::snapshot;
        break;
      case Where::snapshot:
        if (key_ == "threads") {
          if (object) return fail("\"threads\" must be an array");
          saw_threads_ = true;
          next = Where::threads;
        } else if (key_ == "cache" && object) {
          next = Where::cache;
        }
        break;
      case Where::threads:
        if (!object) return fail("each thread must be an object");
        out_.threads.emplace_back();
        saw_tid_ = false;
        next = Where::thread;
        break;
      case Where::thread:
        if (key_ == "frames") {
          if (object) return fail("\"frames\" must be an array");
          next = Where::frames;
        } else if (key_ == "error") {
          if (!object) return fail("a thread's \"error\" must be an object or null");
          out_.threads.back().error = Error{};
          next = Where::thread_error;
        } else if (key_ == "wait") {
          if (!object) return fail("a thread's \"wait\" must be an object or null");
          out_.threads.back().wait = ThreadWait{};
          saw_wait_addr_ = false;
          next = Where::thread_wait;
        }
        break;
      case Where::frames:
        if (!object) return fail("each frame must be an object");
        out_.threads.back().frames.emplace_back();
        saw_pc_ = saw_offset_ = false;
        next = Where::frame;
        break;
      case Where::cache:
      case Where::thread_error:
      case Where::thread_wait:
      case Where::frame:
      case Where::skipped:
        break;  // a value we do not know: skipped with everything inside it
    }
    stack_.push_back(next);
    return true;
  }

  bool close() {
    Where was = here();
    if (was == Where::thread && !saw_tid_) return fail("each thread needs a \"tid\"");
    if (was == Where::frame && !(saw_pc_ && saw_offset_)) return fail("each frame needs \"pc\" and \"offset\"");
    if (was == Where::thread_wait && !saw_wait_addr_) return fail("a thread's \"wait\" needs \"addr\"");
    stack_.pop_back();
    return true;
  }

  // --- typed field helpers ---
  bool want_int(const Value& v, int& out, const char* what) {
    if (v.kind != Kind::integer || v.i < INT32_MIN || v.i > INT32_MAX) return fail(std::string(what) + " must be an integer");
    out = static_cast<int>(v.i);
    return true;
  }
  bool want_u64(const Value& v, uint64_t& out, const char* what) {
    if (v.kind != Kind::integer || v.i < 0) return fail(std::string(what) + " must be a non-negative integer");
    out = static_cast<uint64_t>(v.i);
    return true;
  }
  bool want_double(const Value& v, double& out, const char* what) {
    if (v.kind != Kind::integer && v.kind != Kind::real) return fail(std::string(what) + " must be a number");
    out = v.d;
    return true;
  }
  bool want_text(const Value& v, std::string& out, const char* what) {
    if (v.kind != Kind::text) return fail(std::string(what) + " must be a string");
    out = std::move(*v.text);
    return true;
  }
  bool want_optional_text(const Value& v, std::optional<std::string>& out, const char* what) {
    if (v.kind == Kind::null) {
      out.reset();
      return true;
    }
    if (v.kind != Kind::text) return fail(std::string(what) + " must be a string or null");
    out = std::move(*v.text);
    return true;
  }
  bool want_hex(const Value& v, uint64_t& out, const char* what) {
    if (v.kind != Kind::text) return fail(std::string(what) + " must be a \"0x…\" string");
    const std::string& s = *v.text;
    const char* begin = s.data() + (s.rfind("0x", 0) == 0 ? 2 : 0);
    auto [end, ec] = std::from_chars(begin, s.data() + s.size(), out, 16);
    if (ec != std::errc{} || end != s.data() + s.size()) return fail(std::string(what) + " is not a hex address: " + s);
    return true;
  }

  bool scalar(const Value& v) {
    switch (here()) {
      case Where::top: return fail("a snapshot is a JSON object");
      case Where::snapshot:
        if (key_ == "pid") {
          saw_pid_ = true;
          return want_int(v, out_.pid, "pid");
        }
        if (key_ == "comm") return want_text(v, out_.comm, "comm");
        if (key_ == "consistency") return want_text(v, out_.consistency, "consistency");
        if (key_ == "capture_us") return want_double(v, out_.capture_us, "capture_us");
        if (key_ == "unwind_us") return want_double(v, out_.unwind_us, "unwind_us");
        if (key_ == "capture_sched") return want_text(v, out_.capture_sched, "capture_sched");
        if (key_ == "capture_sched_reason") return want_text(v, out_.capture_sched_reason, "capture_sched_reason");
        if (key_ == "threads") return fail("\"threads\" must be an array");
        return true;
      case Where::cache:
        if (key_ == "module_hits") return want_u64(v, out_.cache.module_hits, "cache.module_hits");
        if (key_ == "module_misses") return want_u64(v, out_.cache.module_misses, "cache.module_misses");
        if (key_ == "symbol_hits") return want_u64(v, out_.cache.symbol_hits, "cache.symbol_hits");
        if (key_ == "symbol_misses") return want_u64(v, out_.cache.symbol_misses, "cache.symbol_misses");
        return true;
      case Where::threads: return fail("each thread must be an object");
      case Where::thread: {
        ThreadStack& t = out_.threads.back();
        if (key_ == "tid") {
          saw_tid_ = true;
          return want_int(v, t.tid, "tid");
        }
        if (key_ == "name") return want_text(v, t.name, "name");
        if (key_ == "state") {
          std::string state;
          if (!want_text(v, state, "state")) return false;
          t.state = state.empty() ? '?' : state[0];
          return true;
        }
        if (key_ == "pause_us") return want_double(v, t.pause_us, "pause_us");
        if (key_ == "truncated") return want_optional_text(v, t.truncated, "truncated");
        if (key_ == "error") {
          if (v.kind != Kind::null) return fail("a thread's \"error\" must be an object or null");
          t.error.reset();
          return true;
        }
        if (key_ == "frames") return fail("\"frames\" must be an array");
        if (key_ == "wait") {
          if (v.kind != Kind::null) return fail("a thread's \"wait\" must be an object or null");
          t.wait.reset();
          return true;
        }
        return true;
      }
      case Where::thread_wait: {
        ThreadWait& w = *out_.threads.back().wait;
        if (key_ == "syscall") return want_text(v, w.syscall, "wait.syscall");
        if (key_ == "addr") {
          saw_wait_addr_ = true;
          return want_hex(v, w.addr, "wait.addr");
        }
        if (key_ == "op") return want_int(v, w.op, "wait.op");
        if (key_ == "mutex_owner") {
          if (v.kind == Kind::null) {
            w.mutex_owner.reset();
            return true;
          }
          int owner = 0;
          if (!want_int(v, owner, "wait.mutex_owner")) return false;
          w.mutex_owner = owner;
          return true;
        }
        return true;
      }
      case Where::thread_error: {
        Error& e = *out_.threads.back().error;
        if (key_ == "code") return want_text(v, e.code, "error.code");
        if (key_ == "message") return want_text(v, e.message, "error.message");
        return true;
      }
      case Where::frames: return fail("each frame must be an object");
      case Where::frame: {
        Frame& f = out_.threads.back().frames.back();
        if (key_ == "pc") {
          saw_pc_ = true;
          return want_hex(v, f.pc, "pc");
        }
        if (key_ == "offset") {
          saw_offset_ = true;
          return want_hex(v, f.offset, "offset");
        }
        if (key_ == "function") return want_optional_text(v, f.function, "function");
        if (key_ == "module") return want_text(v, f.module, "module");
        if (key_ == "file") return want_optional_text(v, f.file, "file");
        if (key_ == "line") {
          if (v.kind == Kind::null) {
            f.line.reset();
            return true;
          }
          int line = 0;
          if (!want_int(v, line, "line")) return false;
          f.line = line;
          return true;
        }
        if (key_ == "inlined") {
          if (v.kind != Kind::boolean) return fail("inlined must be true or false");
          f.inlined = v.b;
          return true;
        }
        return true;
      }
      case Where::skipped: return true;
    }
    return true;
  }

  Snapshot& out_;
  const int max_depth_;
  std::vector<Where> stack_;
  std::string key_;
  std::string error_;
  bool saw_pid_ = false, saw_threads_ = false, saw_tid_ = false, saw_pc_ = false, saw_offset_ = false;
  bool saw_wait_addr_ = false;
};

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t i = 0;
  while (i < text.size()) {
    // Runs of plain characters (most of every name and path) are copied at once.
    size_t run = i;
    while (run < text.size()) {
      const auto c = static_cast<unsigned char>(text[run]);
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
      ++run;
    }
    out.append(text.data() + i, run - i);
    i = run;
    if (i == text.size()) break;
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      size_t len = utf8_sequence_length(text, i);
      if (len == 0) {
        out += kUtf8Replacement;  // for the bad byte; go on with the next one
        ++i;
      } else {
        out.append(text.data() + i, len);
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
    ++i;
  }
  out += '"';
}

void append_snapshot_json(std::string& out, const Snapshot& s) {
  out += "{\"pid\":";
  append_int(out, s.pid);
  out += ",\"comm\":";
  append_json_string(out, s.comm);
  out += ",\"consistency\":";
  append_json_string(out, s.consistency);
  out += ",\"threads\":[";
  for (size_t i = 0; i < s.threads.size(); ++i) {
    if (i) out += ',';
    append_thread(out, s.threads[i]);
  }
  out += "],\"capture_us\":";
  append_double(out, s.capture_us);
  out += ",\"unwind_us\":";
  append_double(out, s.unwind_us);
  out += ",\"capture_sched\":";
  append_json_string(out, s.capture_sched);
  if (!s.capture_sched_reason.empty()) {
    out += ",\"capture_sched_reason\":";
    append_json_string(out, s.capture_sched_reason);
  }
  out += ",\"cache\":{\"module_hits\":";
  append_int(out, s.cache.module_hits);
  out += ",\"module_misses\":";
  append_int(out, s.cache.module_misses);
  out += ",\"symbol_hits\":";
  append_int(out, s.cache.symbol_hits);
  out += ",\"symbol_misses\":";
  append_int(out, s.cache.symbol_misses);
  out += "}}";
}

Result<Snapshot> parse_snapshot_json(std::string_view text, int max_depth) {
  Snapshot snapshot;
  SnapshotReader reader(snapshot, max_depth);
  auto outcome = json_sax::parse(text, reader);
  if (!outcome.ok) {
    if (!outcome.stopped_by_handler || reader.error().empty())
      return Error{"bad_request", "malformed JSON near byte " + std::to_string(outcome.error_position)};
    return Error{"bad_request", reader.error()};
  }
  if (!reader.complete()) return Error{"bad_request", reader.error()};
  return snapshot;
}

}  // namespace dbg
