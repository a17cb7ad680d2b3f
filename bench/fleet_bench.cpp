// fleet_bench — the fleet's write path under 100 simulated hosts (bench/run_fleet_bench.sh runs it).
//
//   fleet_bench migrate CONNINFO
//       applies the embedded fleet migrations (fleet::migrate_fleet), as a coordinator does at connect.
//   fleet_bench publish CONNINFO [--hosts N] [--rate-per-host EVENTS_PER_S] [--seconds S] [--warmup S]
//                                [--batch-events N] [--shared-groups N] [--host-groups N]
//                                [--groups-per-batch N] [--shared-per-batch N] [--max-rows N] [--label TEXT]
//       N threads, each one simulated host: its own FleetIdentity (host-000.., a random
//       database_id), its own PgConnection, register_host, a heartbeat every heartbeat_s. Each host
//       stores a batch of --batch-events error events every batch_events / rate seconds (an open
//       loop: the schedule does not wait for PostgreSQL), spread over --groups-per-batch groups,
//       --shared-per-batch of them (default half) from a pool shared by every host (--shared-groups)
//       and the rest from the host's own (--host-groups), skewed towards the first of each pool. Like the outbox (outbox.hpp), a
//       batch becomes one row per group (its count, first/last seen, the latest event as a sample
//       of ~400 bytes of JSON), ids growing per host. Like the publisher (publisher.cpp), the host
//       ships every row that exists (up to --max-rows, the publisher's batch_rows) in one
//       fleet::ship transaction, waits 20 ms after a batch that was not full (as the publisher
//       does), and sleeps until the next batch when it has nothing. Publish lag: from the row's creation (its batch's time on the
//       schedule) to the return of that ship's COMMIT. Only rows created after the warmup count;
//       rows still unshipped at the end are reported as the backlog. Prints one JSON object.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/fleet/fleet_identity.hpp"
#include "coordinator/fleet/fleet_schema.hpp"
#include "coordinator/fleet/fleet_writes.hpp"
#include "coordinator/fleet/outbox.hpp"
#include "coordinator/fleet/pg.hpp"

namespace fleet = dbg::coord::fleet;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string conninfo;
  int hosts = 100;
  double rate_per_host = 1000;  // events/s
  double seconds = 60, warmup = 5;
  int batch_events = 1000;
  int shared_groups = 100, host_groups = 1000, groups_per_batch = 20;
  int shared_per_batch = -1;  // of groups_per_batch; -1: half
  std::size_t max_rows = 2000;
  std::string label;
};

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// 16 hex digits (signatures are hex: fleet_writes.cpp splices them into a text[] literal).
std::string signature_of(uint64_t a, uint64_t b) {
  uint64_t h = 1469598103934665603ull;
  for (uint64_t v : {a, b, uint64_t{0x9e3779b97f4a7c15ull}}) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xff;
      h *= 1099511628211ull;
    }
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, h);
  return buf;
}

struct HostResult {
  std::vector<double> lag_ms;  // per row created after the warmup
  std::vector<double> tx_ms;   // per ship
  int64_t events_measured = 0, rows_measured = 0;
  int64_t events_committed = 0, rows_committed = 0, ships = 0, retries = 0;
  int64_t backlog_rows = 0, backlog_events = 0;
  int64_t events_offered_measured = 0;
  std::string error;
};

struct PendingRow {
  fleet::OutboxRow row;
  Clock::time_point created;
};

void run_host(const Options& o, int index, Clock::time_point t0, HostResult& res) {
  try {
    fleet::FleetIdentity id;
    char name[32];
    std::snprintf(name, sizeof name, "host-%03d", index);
    id.host = name;
    id.boot_id = fleet::random_id();
    id.instance = fleet::random_id();
    id.version = "fleet_bench";
    id.labels_json = "{\"bench\":\"fleet\"}";
    id.heartbeat_s = 5;
    id.database_id = fleet::random_id();
    fleet::PgConnection pg(o.conninfo, 30);
    fleet::register_host(pg, id);

    std::mt19937_64 rng(0x5eed + index);
    std::uniform_real_distribution<double> u(0, 1);
    const auto interval = std::chrono::duration<double>(o.batch_events / o.rate_per_host);
    // Hosts start their schedules at different phases, as real hosts would.
    const auto phase = std::chrono::duration<double>(interval.count() * index / o.hosts);
    const auto t_measure = t0 + std::chrono::duration<double>(o.warmup);
    const auto t_end = t0 + std::chrono::duration<double>(o.warmup + o.seconds);
    auto next_heartbeat = t0 + std::chrono::seconds(id.heartbeat_s);
    int64_t k = 0, next_id = 1;
    std::deque<PendingRow> pending;
    std::string sample_pad(200, 'x');

    auto make_batch = [&](Clock::time_point created) {
      const int64_t ms = wall_ms() - std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - created).count();
      const int shared_n = o.shared_per_batch >= 0 ? std::min(o.shared_per_batch, o.groups_per_batch) : o.groups_per_batch / 2;
      const int own_n = o.groups_per_batch - shared_n;
      std::vector<std::pair<bool, int>> groups;  // (shared, index)
      auto pick = [&](bool shared, int pool, int n) {
        for (int tries = 0; static_cast<int>(groups.size()) < (shared ? n : shared_n + n) && tries < 50 * n; ++tries) {
          const int g = std::min(pool - 1, static_cast<int>(pool * u(rng) * u(rng)));  // skewed to the first
          if (std::find(groups.begin(), groups.end(), std::make_pair(shared, g)) == groups.end())
            groups.emplace_back(shared, g);
        }
      };
      pick(true, o.shared_groups, shared_n);
      pick(false, o.host_groups, own_n);
      std::vector<double> w(groups.size());
      double sum = 0;
      for (auto& x : w) sum += (x = 0.1 + u(rng));
      int64_t left = o.batch_events;
      for (std::size_t i = 0; i < groups.size(); ++i) {
        const auto [shared, g] = groups[i];
        int64_t c = (i + 1 == groups.size()) ? left : std::max<int64_t>(1, std::llround(o.batch_events * w[i] / sum));
        c = std::min(c, left - static_cast<int64_t>(groups.size() - 1 - i));
        left -= c;
        fleet::OutboxRow r;
        r.id = next_id++;
        r.created_at = ms;
        r.signature = shared ? signature_of(0, g) : signature_of(1000 + index, g);
        r.error_class = (g % 3 == 0) ? "crash" : (g % 3 == 1 ? "reported" : "exit");
        r.type = (g % 3 == 0) ? "SIGSEGV" : (g % 3 == 1 ? "ValueError" : "exit 1");
        r.message = std::string(shared ? "shared" : "own") + " error " + std::to_string(g) + " in service";
        r.count = c;
        r.first_seen = ms - 900;
        r.last_seen = ms;
        r.sample = "{\"received_at\":" + std::to_string(ms) + ",\"timestamp_ms\":" + std::to_string(ms) +
                   ",\"pid\":" + std::to_string(1000 + g) + ",\"source\":\"bench\",\"kind\":\"" + r.error_class +
                   "\",\"type\":\"" + r.type + "\",\"message\":\"" + r.message +
                   "\",\"comm\":\"svc\",\"frames\":[{\"function\":\"handle_request\",\"file\":\"server.c\",\"line\":" +
                   std::to_string(g) + "},{\"function\":\"main\",\"file\":\"main.c\",\"line\":42}],\"context\":{\"note\":\"" +
                   sample_pad + "\"}}";
        pending.push_back({std::move(r), created});
      }
      if (created >= t_measure && created < t_end) res.events_offered_measured += o.batch_events;
    };

    std::vector<fleet::OutboxRow> rows;
    while (true) {
      auto now = Clock::now();
      // Every batch whose time has come is in the outbox.
      while (true) {
        const auto at = t0 + std::chrono::duration_cast<Clock::duration>(phase + interval * static_cast<double>(k));
        if (at > now || at >= t_end) break;
        make_batch(at);
        ++k;
      }
      if (now >= next_heartbeat) {
        fleet::heartbeat(pg, id);
        next_heartbeat = now + std::chrono::seconds(id.heartbeat_s);
      }
      if (pending.empty()) {
        const auto at = t0 + std::chrono::duration_cast<Clock::duration>(phase + interval * static_cast<double>(k));
        if (at >= t_end) break;
        std::this_thread::sleep_until(std::min(at, next_heartbeat));
        continue;
      }
      if (now >= t_end + std::chrono::seconds(10)) break;  // a drain of at most 10 s past the end
      const std::size_t n = std::min(o.max_rows, pending.size());
      rows.clear();
      for (std::size_t i = 0; i < n; ++i) rows.push_back(pending[i].row);
      const auto s = Clock::now();
      fleet::ShipOutcome out;
      for (int attempt = 0;; ++attempt) {
        try {
          out = fleet::ship(pg, id, rows);
          break;
        } catch (const fleet::PgError& e) {
          if (!e.retryable() || attempt > 20) throw;
          ++res.retries;
        }
      }
      const auto done = Clock::now();
      if (out.applied != n) throw std::runtime_error("ship applied " + std::to_string(out.applied) + " of " + std::to_string(n));
      ++res.ships;
      res.tx_ms.push_back(std::chrono::duration<double, std::milli>(done - s).count());
      for (std::size_t i = 0; i < n; ++i) {
        const auto& p = pending.front();
        res.rows_committed += 1;
        res.events_committed += p.row.count;
        if (p.created >= t_measure && p.created < t_end) {
          res.lag_ms.push_back(std::chrono::duration<double, std::milli>(done - p.created).count());
          res.rows_measured += 1;
          res.events_measured += p.row.count;
        }
        pending.pop_front();
      }
      // As the publisher: after a batch that was not full, 20 ms for more rows to gather.
      if (n < o.max_rows) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (const auto& p : pending) {
      res.backlog_rows += 1;
      res.backlog_events += p.row.count;
    }
  } catch (const std::exception& e) {
    res.error = std::string("host ") + std::to_string(index) + ": " + e.what();
  }
}

double pct(std::vector<double>& xs, double p) {
  if (xs.empty()) return NAN;
  std::sort(xs.begin(), xs.end());
  const auto k = static_cast<std::size_t>(std::max(0.0, std::ceil(p / 100 * xs.size()) - 1));
  return xs[std::min(k, xs.size() - 1)];
}

int publish(const Options& o) {
  std::vector<HostResult> results(o.hosts);
  std::vector<std::thread> threads;
  const auto t0 = Clock::now() + std::chrono::seconds(2);  // every host connected before the schedule starts
  for (int i = 0; i < o.hosts; ++i) threads.emplace_back(run_host, std::cref(o), i, t0, std::ref(results[i]));
  for (auto& t : threads) t.join();
  HostResult all;
  for (auto& r : results) {
    if (!r.error.empty() && all.error.empty()) all.error = r.error;
    all.lag_ms.insert(all.lag_ms.end(), r.lag_ms.begin(), r.lag_ms.end());
    all.tx_ms.insert(all.tx_ms.end(), r.tx_ms.begin(), r.tx_ms.end());
    all.events_measured += r.events_measured;
    all.rows_measured += r.rows_measured;
    all.events_committed += r.events_committed;
    all.rows_committed += r.rows_committed;
    all.ships += r.ships;
    all.retries += r.retries;
    all.backlog_rows += r.backlog_rows;
    all.backlog_events += r.backlog_events;
    all.events_offered_measured += r.events_offered_measured;
  }
  nlohmann::json j;
  j["label"] = o.label;
  j["hosts"] = o.hosts;
  j["offered_events_per_s_per_host"] = o.rate_per_host;
  j["offered_events_per_s"] = o.rate_per_host * o.hosts;
  j["batch_events"] = o.batch_events;
  j["groups_per_batch"] = o.groups_per_batch;
  j["shared_per_batch"] = o.shared_per_batch >= 0 ? std::min(o.shared_per_batch, o.groups_per_batch) : o.groups_per_batch / 2;
  j["shared_groups"] = o.shared_groups;
  j["host_groups"] = o.host_groups;
  j["max_rows_per_ship"] = o.max_rows;
  j["measured_seconds"] = o.seconds;
  j["warmup_seconds"] = o.warmup;
  j["events_offered_in_window"] = all.events_offered_measured;
  j["events_committed_from_window"] = all.events_measured;
  j["committed_events_per_s"] = all.events_measured / o.seconds;
  j["committed_rows_per_s"] = all.rows_measured / o.seconds;
  j["events_committed_total"] = all.events_committed;  // warmup and drain included
  j["ships"] = all.ships;
  j["ships_per_s"] = all.ships / (o.seconds + o.warmup);
  j["rows_per_ship_mean"] = all.ships ? double(all.rows_committed) / all.ships : 0.0;
  j["deadlock_or_serialization_retries"] = all.retries;
  j["backlog_rows_at_end"] = all.backlog_rows;
  j["backlog_events_at_end"] = all.backlog_events;
  j["lag_ms_p50"] = pct(all.lag_ms, 50);
  j["lag_ms_p90"] = pct(all.lag_ms, 90);
  j["lag_ms_p99"] = pct(all.lag_ms, 99);
  j["lag_ms_max"] = all.lag_ms.empty() ? NAN : all.lag_ms.back();
  j["ship_tx_ms_p50"] = pct(all.tx_ms, 50);
  j["ship_tx_ms_p99"] = pct(all.tx_ms, 99);
  j["sustained"] = all.error.empty() && all.backlog_rows == 0 &&
                   all.events_measured >= 0.99 * all.events_offered_measured;
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  j["driver_cpu_seconds"] = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  j["wall_seconds"] = std::chrono::duration<double>(Clock::now() - t0).count() + 2;
  if (!all.error.empty()) j["error"] = all.error;
  std::cout << j.dump() << std::endl;
  return all.error.empty() ? 0 : 1;
}

[[noreturn]] void usage() {
  std::cerr << "usage: fleet_bench migrate CONNINFO | fleet_bench publish CONNINFO [--hosts N] [--rate-per-host R]"
               " [--seconds S] [--warmup S] [--batch-events N] [--shared-groups N] [--host-groups N]"
               " [--groups-per-batch N] [--shared-per-batch N] [--max-rows N] [--label TEXT]\n";
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) usage();
  const std::string cmd = argv[1];
  Options o;
  o.conninfo = argv[2];
  try {
    if (cmd == "migrate") {
      fleet::PgConnection pg(o.conninfo);
      const auto out = fleet::migrate_fleet(pg);
      std::cout << "{\"from_version\":" << out.from_version << ",\"to_version\":" << out.to_version << "}\n";
      return 0;
    }
    if (cmd != "publish") usage();
    for (int i = 3; i < argc; ++i) {
      const std::string a = argv[i];
      if (i + 1 >= argc) usage();
      const std::string v = argv[++i];
      if (a == "--hosts") o.hosts = std::stoi(v);
      else if (a == "--rate-per-host") o.rate_per_host = std::stod(v);
      else if (a == "--seconds") o.seconds = std::stod(v);
      else if (a == "--warmup") o.warmup = std::stod(v);
      else if (a == "--batch-events") o.batch_events = std::stoi(v);
      else if (a == "--shared-groups") o.shared_groups = std::stoi(v);
      else if (a == "--host-groups") o.host_groups = std::stoi(v);
      else if (a == "--groups-per-batch") o.groups_per_batch = std::stoi(v);
      else if (a == "--shared-per-batch") o.shared_per_batch = std::stoi(v);
      else if (a == "--max-rows") o.max_rows = std::stoul(v);
      else if (a == "--label") o.label = v;
      else usage();
    }
    if (o.hosts < 1 || o.rate_per_host <= 0 || o.seconds <= 0 || o.batch_events < o.groups_per_batch ||
        o.groups_per_batch < 2 || o.max_rows < 1)
      usage();
    return publish(o);
  } catch (const std::exception& e) {
    std::cerr << "fleet_bench: " << e.what() << "\n";
    return 1;
  }
}
