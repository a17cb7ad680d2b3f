#include "coordinator/fleet/fleet_reads.hpp"

#include <boost/asio/post.hpp>

#include "coordinator/fleet/fleet_sessions.hpp"
#include "coordinator/fleet/pg.hpp"

namespace dbg::coord::fleet {

namespace {

// A host is down after three missed heartbeats of its own interval (server clock on both sides).
constexpr const char* kHosts = R"sql(
SELECT host, boot_id, version, labels::text, heartbeat_s,
       (extract(epoch FROM started_at) * 1000)::bigint,
       (extract(epoch FROM last_heartbeat) * 1000)::bigint,
       now() - last_heartbeat < make_interval(secs => 3 * heartbeat_s)
FROM fleet_hosts ORDER BY host
)sql";

constexpr const char* kGroupColumns =
    "g.signature, g.error_class, g.type, g.message, g.count, g.hosts_affected, g.first_seen, g.last_seen";

nlohmann::json group_json(const PgResult& r, int row) {
  return {{"signature", r.text(row, 0)}, {"error_class", r.text(row, 1)},    {"type", r.text(row, 2)},
          {"message", r.text(row, 3)},   {"count", r.integer(row, 4)},       {"hosts_affected", r.integer(row, 5)},
          {"first_seen", r.integer(row, 6)}, {"last_seen", r.integer(row, 7)}};
}

// {a,b}: a text[] literal of signatures (hex digits: nothing to quote).
std::string array_literal(const std::vector<std::string>& items) {
  std::string out = "{";
  for (const auto& s : items) {
    if (out.size() > 1) out += ',';
    out += s;
  }
  return out + "}";
}

}  // namespace

FleetReads::FleetReads(std::string conninfo) : conninfo_(std::move(conninfo)) {}

FleetReads::~FleetReads() { thread_.join(); }

void FleetReads::run(Done done, std::function<nlohmann::json(PgConnection&)> f) {
  boost::asio::post(thread_, [this, done = std::move(done), f = std::move(f)] {
    // One retry with a fresh connection: after a restart of PostgreSQL the kept one is dead,
    // and the first query after it must not fail for that alone.
    for (int attempt = 0; attempt < 2; ++attempt) {
      try {
        if (!pg_ || !pg_->ok()) pg_ = std::make_unique<PgConnection>(conninfo_);
        nlohmann::json out = f(*pg_);
        if (out.is_null()) return done(Error{"not_found", "no such group in the fleet"});
        return done(std::move(out));
      } catch (const FleetRequestError& e) {
        return done(Error{"bad_request", e.message});
      } catch (const std::exception& e) {
        pg_.reset();
        if (attempt == 1) return done(Error{"unavailable", std::string("fleet database: ") + e.what()});
      }
    }
  });
}

void FleetReads::run_raw(Raw f) {
  boost::asio::post(thread_, [this, f = std::move(f)] {
    try {
      if (!pg_ || !pg_->ok()) pg_ = std::make_unique<PgConnection>(conninfo_);
    } catch (const std::exception& e) {
      pg_.reset();
      return f(nullptr, std::string("fleet database: ") + e.what());
    }
    f(pg_.get(), {});
  });
}

void FleetReads::hosts(Done done) {
  run(std::move(done), [](PgConnection& pg) {
    const auto r = pg.exec(kHosts);
    nlohmann::json hosts = nlohmann::json::array();
    for (int i = 0; i < r.rows(); ++i) {
      hosts.push_back({{"host", r.text(i, 0)},
                       {"boot_id", r.text(i, 1)},
                       {"version", r.text(i, 2)},
                       {"labels", nlohmann::json::parse(r.text(i, 3), nullptr, false)},
                       {"heartbeat_s", r.integer(i, 4)},
                       {"started_at_ms", r.integer(i, 5)},
                       {"last_heartbeat_ms", r.integer(i, 6)},
                       {"up", r.boolean(i, 7)}});
    }
    return nlohmann::json{{"hosts", std::move(hosts)}};
  });
}

void FleetReads::groups(FleetGroupFilter filter, Done done) {
  run(std::move(done), [filter = std::move(filter)](PgConnection& pg) {
    std::vector<PgParam> params{std::to_string(filter.limit)};
    std::string sql;
    if (filter.host) {
      // One host's view: its own counts first (host_count), newest on that host first.
      params.push_back(*filter.host);
      sql = std::string("SELECT ") + kGroupColumns +
            ", h.count FROM fleet_host_groups h JOIN fleet_groups g USING (signature) WHERE h.host = $2";
      if (filter.error_class) {
        params.push_back(*filter.error_class);
        sql += " AND g.error_class = $3";
      }
      sql += " ORDER BY h.last_seen DESC, g.signature LIMIT $1";
    } else {
      sql = std::string("SELECT ") + kGroupColumns + " FROM fleet_groups g";
      if (filter.error_class) {
        params.push_back(*filter.error_class);
        sql += " WHERE g.error_class = $2";
      }
      sql += " ORDER BY g.last_seen DESC, g.signature LIMIT $1";
    }
    const auto r = pg.exec(sql, params);
    nlohmann::json groups = nlohmann::json::array();
    std::vector<std::string> signatures;
    for (int i = 0; i < r.rows(); ++i) {
      auto g = group_json(r, i);
      if (filter.host) g["host_count"] = r.integer(i, 8);
      g["hosts"] = nlohmann::json::object();
      signatures.emplace_back(r.text(i, 0));
      groups.push_back(std::move(g));
    }
    if (!signatures.empty()) {
      // The per-host counts of the listed groups, in one query (primary key lookups).
      const auto per_host = pg.exec(
          "SELECT signature, host, count FROM fleet_host_groups WHERE signature = ANY($1::text[])",
          {array_literal(signatures)});
      std::unordered_map<std::string, nlohmann::json*> by_signature;
      for (auto& g : groups) by_signature[g["signature"].get<std::string>()] = &g["hosts"];
      for (int i = 0; i < per_host.rows(); ++i) {
        auto it = by_signature.find(std::string(per_host.text(i, 0)));
        if (it != by_signature.end()) (*it->second)[std::string(per_host.text(i, 1))] = per_host.integer(i, 2);
      }
    }
    return nlohmann::json{{"groups", std::move(groups)}};
  });
}

void FleetReads::group(std::string signature, Done done) {
  run(std::move(done), [signature = std::move(signature)](PgConnection& pg) -> nlohmann::json {
    const auto g = pg.exec(std::string("SELECT ") + kGroupColumns + " FROM fleet_groups g WHERE g.signature = $1",
                           {signature});
    if (g.rows() == 0) return nullptr;
    nlohmann::json out = group_json(g, 0);
    const auto hosts = pg.exec(
        "SELECT host, count, first_seen, last_seen FROM fleet_host_groups WHERE signature = $1 ORDER BY count DESC, host",
        {signature});
    out["hosts"] = nlohmann::json::array();
    for (int i = 0; i < hosts.rows(); ++i) {
      out["hosts"].push_back({{"host", hosts.text(i, 0)},
                              {"count", hosts.integer(i, 1)},
                              {"first_seen", hosts.integer(i, 2)},
                              {"last_seen", hosts.integer(i, 3)}});
    }
    const auto samples = pg.exec(
        "SELECT host, seen_at, event::text FROM fleet_samples WHERE signature = $1 ORDER BY id DESC LIMIT 20",
        {signature});
    out["samples"] = nlohmann::json::array();
    for (int i = 0; i < samples.rows(); ++i) {
      out["samples"].push_back({{"host", samples.text(i, 0)},
                                {"seen_at", samples.integer(i, 1)},
                                {"event", nlohmann::json::parse(samples.text(i, 2), nullptr, false)}});
    }
    return out;
  });
}

}  // namespace dbg::coord::fleet
