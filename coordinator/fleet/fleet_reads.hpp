#pragma once
// What any coordinator of a fleet serves from the fleet database: hosts, merged error groups,
// one group's hosts and samples. The queries run on a thread of their own with their own
// connection (made on first use, made again after a failure), so a slow or absent PostgreSQL
// never holds a network thread; `done` runs on that thread.
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "dbg/error.hpp"

namespace dbg::coord::fleet {

class PgConnection;

struct FleetGroupFilter {
  std::optional<std::string> host;         // only groups seen on this host (its counts)
  std::optional<std::string> error_class;  // "crash", "exit", "reported", ...
  int limit = 100;
};

class FleetReads {
 public:
  explicit FleetReads(std::string conninfo);
  ~FleetReads();  // waits for the query in progress
  FleetReads(const FleetReads&) = delete;
  FleetReads& operator=(const FleetReads&) = delete;

  using Done = std::function<void(Result<nlohmann::json>)>;
  // {"hosts":[{host, boot_id, version, labels, started_at_ms, last_heartbeat_ms, up}]}
  void hosts(Done done);
  // {"groups":[{signature, error_class, type, message, count, hosts_affected, first_seen,
  // last_seen, hosts:{name:count}}]}, newest first.
  void groups(FleetGroupFilter filter, Done done);
  // One group: the fields above, "hosts":[{host, count, first_seen, last_seen}], "samples".
  // not_found for an unknown signature.
  void group(std::string signature, Done done);

  // Runs f with a connection on the reads' thread (the fleet sessions' routes use it too): a
  // FleetRequestError answers bad_request (400), another failure "unavailable" (503), a null
  // result "not_found".
  void run(Done done, std::function<nlohmann::json(PgConnection&)> f);
  // Lower level, for answers that are not JSON (folded text, pprof): f gets a connection, or
  // null and why there is none.
  using Raw = std::function<void(PgConnection* pg, const std::string& failure)>;
  void run_raw(Raw f);

 private:

  const std::string conninfo_;
  std::unique_ptr<PgConnection> pg_;  // the thread's only
  boost::asio::thread_pool thread_{1};
};

}  // namespace dbg::coord::fleet
