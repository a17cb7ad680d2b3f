#pragma once
// An experiment for bench/fleet_bench.cpp (--ship-variant groups-last), not the coordinator's code:
// fleet::ship (coordinator/fleet/fleet_writes.cpp) with the same statements and the same result,
// but the samples inserted and pruned *before* the group upserts, so the row locks on the
// fleet_groups rows every host shares are held only for the upsert, the watermark and the COMMIT.
// And --ship-variant per-host-only: the per-host upsert alone, fleet_groups only inserted when
// new (ON CONFLICT DO NOTHING takes no row lock), i.e. what a host's transaction would cost if
// the fleet-wide sums were rolled up elsewhere (its merged counts are not kept: a bound, not a design).
// The helpers and SQL below are copied from fleet_writes.cpp (they are private there).
#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "coordinator/errors/json_writer.hpp"
#include "coordinator/fleet/fleet_writes.hpp"
#include "coordinator/fleet/pg.hpp"

namespace fleet_bench_variant {

using namespace dbg::coord::fleet;
namespace errors = dbg::coord::errors;


// A batch's rows summed per signature, in signature order: every host upserts shared
// fleet_groups rows in the same order, so two hosts' transactions cannot deadlock on them.
struct GroupSum {
  const OutboxRow* first = nullptr;
  int64_t count = 0;
  int64_t first_seen = 0, last_seen = 0;
  const OutboxRow* latest_sample = nullptr;
};

inline void add_string(std::string& out, std::string_view key, std::string_view value) {
  errors::append_json_string(out, key);
  out += ':';
  errors::append_json_string(out, value);
}

inline void add_number(std::string& out, std::string_view key, int64_t value) {
  errors::append_json_string(out, key);
  out += ':';
  out += std::to_string(value);
}

// The per-signature sums as one JSON array: a single parameter for jsonb_to_recordset, so the
// batch is one statement whatever its size, and no value is spliced into SQL.
inline std::string groups_json(const std::map<std::string_view, GroupSum>& sums) {
  std::string out = "[";
  for (const auto& [signature, s] : sums) {
    if (out.size() > 1) out += ',';
    out += '{';
    add_string(out, "signature", signature);
    out += ',';
    add_string(out, "error_class", s.first->error_class);
    out += ',';
    add_string(out, "type", s.first->type);
    out += ',';
    add_string(out, "message", s.first->message);
    out += ',';
    add_number(out, "count", s.count);
    out += ',';
    add_number(out, "first_seen", s.first_seen);
    out += ',';
    add_number(out, "last_seen", s.last_seen);
    out += '}';
  }
  return out + "]";
}

inline std::string samples_json(const std::map<std::string_view, GroupSum>& sums) {
  std::string out = "[";
  for (const auto& [signature, s] : sums) {
    if (!s.latest_sample) continue;
    if (out.size() > 1) out += ',';
    out += '{';
    add_string(out, "signature", signature);
    out += ',';
    add_number(out, "seen_at", s.latest_sample->last_seen);
    out += ",\"event\":";
    out += *s.latest_sample->sample;  // JSON already (outbox.cpp sample_json)
    out += '}';
  }
  return out + "]";
}

// {a,b}: a text[] literal; signatures are hex digits, nothing to quote.
inline std::string signature_array(const std::map<std::string_view, GroupSum>& sums) {
  std::string out = "{";
  for (const auto& [signature, s] : sums) {
    if (out.size() > 1) out += ',';
    out += signature;
  }
  return out + "}";
}

// Per host, then fleet-wide from what the per-host upsert says: a host seen for the first time
// for a signature (xmax = 0: the row was inserted, not updated) adds one to hosts_affected.
constexpr const char* kUpsertGroups = R"sql(
WITH batch AS (
  SELECT * FROM jsonb_to_recordset($2::jsonb)
    AS r(signature text, error_class text, type text, message text, count bigint, first_seen bigint, last_seen bigint)
), per_host AS (
  INSERT INTO fleet_host_groups AS h (signature, host, count, first_seen, last_seen)
  SELECT signature, $1, count, first_seen, last_seen FROM batch ORDER BY signature
  ON CONFLICT (signature, host) DO UPDATE SET
    count = h.count + excluded.count,
    first_seen = least(h.first_seen, excluded.first_seen),
    last_seen = greatest(h.last_seen, excluded.last_seen)
  RETURNING signature, (xmax = 0) AS new_host
)
INSERT INTO fleet_groups AS g (signature, error_class, type, message, count, hosts_affected, first_seen, last_seen)
SELECT b.signature, b.error_class, b.type, b.message, b.count, CASE WHEN p.new_host THEN 1 ELSE 0 END,
       b.first_seen, b.last_seen
FROM batch b JOIN per_host p USING (signature) ORDER BY b.signature
ON CONFLICT (signature) DO UPDATE SET
  count = g.count + excluded.count,
  hosts_affected = g.hosts_affected + excluded.hosts_affected,
  first_seen = least(g.first_seen, excluded.first_seen),
  last_seen = greatest(g.last_seen, excluded.last_seen)
)sql";

constexpr const char* kInsertSamples = R"sql(
INSERT INTO fleet_samples (signature, host, seen_at, event)
SELECT signature, $1, seen_at, event FROM jsonb_to_recordset($2::jsonb) AS r(signature text, seen_at bigint, event jsonb)
)sql";

constexpr const char* kPruneSamples = R"sql(
DELETE FROM fleet_samples WHERE id IN (
  SELECT id FROM (
    SELECT id, row_number() OVER (PARTITION BY signature ORDER BY id DESC) AS n
    FROM fleet_samples WHERE host = $1 AND signature = ANY($2::text[])
  ) ranked WHERE n > $3)
)sql";


constexpr const char* kUpsertPerHostOnly = R"sql(
WITH batch AS (
  SELECT * FROM jsonb_to_recordset($2::jsonb)
    AS r(signature text, error_class text, type text, message text, count bigint, first_seen bigint, last_seen bigint)
), per_host AS (
  INSERT INTO fleet_host_groups AS h (signature, host, count, first_seen, last_seen)
  SELECT signature, $1, count, first_seen, last_seen FROM batch ORDER BY signature
  ON CONFLICT (signature, host) DO UPDATE SET
    count = h.count + excluded.count,
    first_seen = least(h.first_seen, excluded.first_seen),
    last_seen = greatest(h.last_seen, excluded.last_seen)
  RETURNING signature
)
INSERT INTO fleet_groups AS g (signature, error_class, type, message, count, hosts_affected, first_seen, last_seen)
SELECT b.signature, b.error_class, b.type, b.message, 0, 0, b.first_seen, b.last_seen
FROM batch b JOIN per_host p USING (signature) ORDER BY b.signature
ON CONFLICT (signature) DO NOTHING
)sql";

inline ShipOutcome ship_groups_last(PgConnection& pg, const FleetIdentity& id, const std::vector<OutboxRow>& rows,
                                    bool per_host_only = false) {
  return in_transaction(pg, [&] {
    ShipOutcome out;
    pg.exec("INSERT INTO fleet_publishers (host, database_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            {id.host, id.database_id});
    const auto mark = pg.exec(
        "SELECT shipped_through FROM fleet_publishers WHERE host = $1 AND database_id = $2 FOR UPDATE",
        {id.host, id.database_id});
    const int64_t watermark = mark.integer(0, 0);
    out.through = watermark;
    std::map<std::string_view, GroupSum> sums;
    for (const OutboxRow& r : rows) {
      out.through = std::max(out.through, r.id);
      if (r.id <= watermark) {
        ++out.skipped;
        continue;
      }
      ++out.applied;
      out.events += r.count;
      auto [it, fresh] = sums.try_emplace(r.signature);
      GroupSum& s = it->second;
      if (fresh) {
        s.first = &r;
        s.first_seen = r.first_seen;
        s.last_seen = r.last_seen;
      }
      s.count += r.count;
      s.first_seen = std::min(s.first_seen, r.first_seen);
      s.last_seen = std::max(s.last_seen, r.last_seen);
      if (r.sample) s.latest_sample = &r;
    }
    if (!sums.empty()) {
      const std::string samples = samples_json(sums);
      if (samples != "[]") {
        pg.exec(kInsertSamples, {id.host, samples});
        pg.exec(kPruneSamples, {id.host, signature_array(sums), std::to_string(kSamplesPerGroupAndHost)});
      }
    }
    if (out.through > watermark) {
      pg.exec(
          "UPDATE fleet_publishers SET shipped_through = $3, updated_at = now() WHERE host = $1 AND database_id = $2",
          {id.host, id.database_id, std::to_string(out.through)});
    }
    if (!sums.empty()) pg.exec(per_host_only ? kUpsertPerHostOnly : kUpsertGroups, {id.host, groups_json(sums)});
    return out;
  });
}

}  // namespace fleet_bench_variant
