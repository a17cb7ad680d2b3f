#pragma once
// What the store hands back: plain values, no SQLite types. (Re-exported by store.hpp.)
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "dbg/snapshot.hpp"

namespace dbg::coord::store {

struct StoredSnapshot {
  int64_t id;
  std::string session_id;
  int64_t taken_at_ms;  // unix ms, when the store received it
  dbg::Snapshot snapshot;
};

struct SessionRow {
  std::string id;
  std::string kind;
  std::string status;
  int64_t created_at_ms;
  nlohmann::json body;  // the whole session as the API shows it
};

// JSON already written as text (bind_body_row calls body.dump()).
struct JsonText {
  std::string text;
  const std::string& dump() const { return text; }
};
// A SessionRow to save whose body is text already (sessions/session.hpp to_json_text): a big
// session waits in the store's queue as its ~1.5 MB of text, not as a ~7 MB tree.
struct SessionTextRow {
  std::string id;
  std::string kind;
  std::string status;
  int64_t created_at_ms;
  JsonText body;
};

}  // namespace dbg::coord::store
