#include "coordinator/fleet/fleet_identity.hpp"

#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "coordinator/config.hpp"
#include "coordinator/fleet/fleet_settings.hpp"
#include "coordinator/store/statement.hpp"

namespace dbg::coord::fleet {

std::string random_id() {
  std::random_device device;  // getrandom(2) on Linux
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    const unsigned v = device();
    for (int nibble = 0; nibble < 4; ++nibble) out += kHex[(v >> (nibble * 4)) & 0xf];
  }
  return out;
}

FleetIdentity identity_from(const Config& config) {
  FleetIdentity id;
  id.host = host_name(config);
  id.boot_id = boot_id();
  id.instance = random_id();
  id.version = std::string(version());
  nlohmann::json labels = nlohmann::json::object();
  for (const auto& [k, v] : parse_host_labels(config.host_labels)) labels[k] = v;
  id.labels_json = labels.dump();
  id.heartbeat_s = static_cast<int>(config.fleet_heartbeat_s);
  id.takes_tasks = config.fleet_tasks;
  return id;
}

std::string database_id(store::StatementCache& sql) {
  {
    auto q = sql.get("SELECT value FROM meta WHERE key = 'fleet_database_id'");
    if (q->step()) return q->column_text(0);
  }
  const std::string id = random_id();
  auto q = sql.get("INSERT INTO meta (key, value) VALUES ('fleet_database_id', ?1)");
  q->bind(1, std::string_view(id));
  q->run();
  return id;
}

}  // namespace dbg::coord::fleet
