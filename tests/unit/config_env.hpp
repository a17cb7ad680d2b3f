#pragma once
// An environment for parse_command_line made of a map, so the config tests set variables
// without touching the test process's own environment.
#include <map>
#include <optional>
#include <string>

#include "coordinator/config.hpp"

namespace dbg::coord::test {

inline dbg::coord::EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace dbg::coord::test
