#pragma once
// A json_sax handler that builds an nlohmann::json value: how tests and the fuzzer compare
// dbg::json_sax::parse with nlohmann's own parser, document for document.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dbg/json_sax.hpp"

namespace dbg::json_sax {

class DomBuilder {
 public:
  nlohmann::json& result() { return root_; }

  bool null() { return put(nullptr) != nullptr; }
  bool boolean(bool b) { return put(b) != nullptr; }
  bool number_integer(int64_t v) { return put(v) != nullptr; }
  bool number_unsigned(uint64_t v) { return put(v) != nullptr; }
  bool number_float(double v) { return put(v) != nullptr; }
  bool string(std::string& s) { return put(s) != nullptr; }
  bool key(std::string& k) {
    key_ = k;
    return true;
  }
  bool start_object() { return open(nlohmann::json::object()); }
  bool start_array() { return open(nlohmann::json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

 private:
  nlohmann::json* put(nlohmann::json value) {
    if (open_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    nlohmann::json& parent = *open_.back();
    if (parent.is_object()) return &(parent[key_] = std::move(value));
    parent.push_back(std::move(value));
    return &parent.back();
  }
  bool open(nlohmann::json empty) {
    open_.push_back(put(std::move(empty)));
    return true;
  }
  bool close() {
    open_.pop_back();
    return true;
  }

  nlohmann::json root_;
  std::vector<nlohmann::json*> open_;
  std::string key_;
};

// nullopt when `text` is not JSON.
inline std::optional<nlohmann::json> parse_to_dom(std::string_view text) {
  DomBuilder builder;
  if (!parse(text, builder).ok) return std::nullopt;
  return std::move(builder.result());
}

}  // namespace dbg::json_sax
