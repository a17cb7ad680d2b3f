#include "coordinator/sessions/status.hpp"

#include <array>
#include <utility>

namespace dbg::coord::sessions {

namespace {

constexpr std::array<std::pair<Status, std::string_view>, 5> kNames{{
    {Status::queued, "queued"},
    {Status::running, "running"},
    {Status::done, "done"},
    {Status::failed, "failed"},
    {Status::cancelled, "cancelled"},
}};

}  // namespace

std::string_view to_string(Status status) {
  for (const auto& [value, name] : kNames)
    if (value == status) return name;
  return "failed";  // unreachable: every enumerator is in kNames
}

std::optional<Status> status_from_string(std::string_view text) {
  for (const auto& [value, name] : kNames)
    if (name == text) return value;
  return std::nullopt;
}

}  // namespace dbg::coord::sessions
