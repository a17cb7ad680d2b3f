#include "coordinator/http/message.hpp"

#include <strings.h>

namespace dbg::coord::http {

std::optional<std::string_view> HttpRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && ::strncasecmp(key.data(), name.data(), name.size()) == 0) {
      return std::string_view(value);
    }
  }
  return std::nullopt;
}

void split_target(std::string_view target, std::string* path, std::string* query) {
  auto q = target.find('?');
  *path = std::string(target.substr(0, q));
  *query = q == std::string_view::npos ? std::string() : std::string(target.substr(q + 1));
}

}  // namespace dbg::coord::http
