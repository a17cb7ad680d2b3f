#pragma once
// Who this coordinator is in the fleet: the host row it registers (fleet_hosts) and the key of
// its outbox's watermark (fleet_publishers).
#include <cstdint>
#include <string>

namespace dbg::coord {
struct Config;
}
namespace dbg::coord::store {
class StatementCache;
}

namespace dbg::coord::fleet {

struct FleetIdentity {
  std::string host;         // --host-name, else the system's
  std::string boot_id;      // changes with every boot of the host
  std::string instance;     // changes with every start of dbgcoord
  std::string version;
  std::string labels_json;  // --host-labels as a JSON object
  int heartbeat_s = 5;
  bool takes_tasks = true;  // --fleet-tasks
  std::string database_id;  // the local database's (database_id below)
};

// Everything but database_id, which needs the store.
FleetIdentity identity_from(const Config& config);

// Store thread: the local database's fleet id (meta "fleet_database_id"), made on first use. A
// random id rather than the host name: a host whose data directory was wiped starts its outbox
// ids at 1 again, and must not be skipped by the old watermark.
std::string database_id(store::StatementCache& sql);

// 32 hex digits from the kernel's random source.
std::string random_id();

}  // namespace dbg::coord::fleet
