#include "coordinator/fleet/fleet_writes.hpp"

#include <map>

#include "coordinator/errors/json_writer.hpp"
#include "coordinator/fleet/pg.hpp"

namespace dbg::coord::fleet {

namespace {

// A batch's rows summed per signature, in signature order: every host upserts shared
// fleet_groups rows in the same order, so two hosts' transactions cannot deadlock on them.
struct GroupSum {
  const OutboxRow* first = nullptr;
  int64_t count = 0;
  int64_t first_seen = 0, last_seen = 0;
  const OutboxRow* latest_sample = nullptr;
};

void add_string(std::string& out, std::string_view key, std::string_view value) {
  errors::append_json_string(out, key);
  out += ':';
  errors::append_json_string(out, value);
}

void add_number(std::string& out, std::string_view key, int64_t value) {
  errors::append_json_string(out, key);
  out += ':';
  out += std::to_string(value);
}

// The per-signature sums as one JSON array: a single parameter for jsonb_to_recordset, so the
// batch is one statement whatever its size, and no value is spliced into SQL.
std::string groups_json(const std::map<std::string_view, GroupSum>& sums) {
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

std::string samples_json(const std::map<std::string_view, GroupSum>& sums) {
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

// PostgreSQL's jsonb refuses the escape \u0000 (its text has no NUL), and a message or a
// variable holding a NUL would then fail its batch for good: such characters become U+FFFD.
std::string without_nul_escapes(std::string json) {
  static constexpr std::string_view kNul = "\\u0000", kReplacement = "\\ufffd";
  for (std::size_t at = json.find(kNul); at != std::string::npos; at = json.find(kNul, at + kReplacement.size()))
    json.replace(at, kNul.size(), kReplacement);
  return json;
}

// {a,b}: a text[] literal; signatures are hex digits, nothing to quote.
std::string signature_array(const std::map<std::string_view, GroupSum>& sums) {
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

constexpr const char* kUpsertSession = R"sql(
INSERT INTO fleet_host_sessions (host, database_id, local_session_id, kind, status, ended_at, summary)
VALUES ($1, $2, $3, coalesce(($7::jsonb)->>'kind', $4), $5, $6, $7::jsonb)
ON CONFLICT (host, database_id, local_session_id) DO UPDATE SET
  kind = excluded.kind, status = excluded.status, ended_at = excluded.ended_at, summary = excluded.summary
)sql";

}  // namespace

void register_host(PgConnection& pg, const FleetIdentity& id) {
  pg.exec(
      "INSERT INTO fleet_hosts (host, boot_id, instance, version, labels, heartbeat_s, takes_tasks)"
      " VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)"
      " ON CONFLICT (host) DO UPDATE SET boot_id = excluded.boot_id, instance = excluded.instance,"
      " version = excluded.version, labels = excluded.labels, heartbeat_s = excluded.heartbeat_s,"
      " takes_tasks = excluded.takes_tasks, started_at = now(), last_heartbeat = now()",
      {id.host, id.boot_id, id.instance, id.version, id.labels_json, std::to_string(id.heartbeat_s),
       std::string(id.takes_tasks ? "true" : "false")});
}

bool heartbeat(PgConnection& pg, const FleetIdentity& id) {
  return pg.exec("UPDATE fleet_hosts SET last_heartbeat = now() WHERE host = $1", {id.host}).affected() > 0;
}

ShipOutcome ship(PgConnection& pg, const FleetIdentity& id, const std::vector<OutboxRow>& rows,
                 const std::map<int64_t, std::string>& summaries) {
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
      if (r.kind == "session") {
        auto summary = summaries.find(r.id);
        pg.exec(kUpsertSession, {id.host, id.database_id, r.signature, r.type, r.message, std::to_string(r.last_seen),
                                 summary != summaries.end() ? without_nul_escapes(summary->second)
                                                            : std::string(R"({"summary":"the session was not found locally"})")});
        continue;
      }
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
    // The order matters under load (BENCHMARKS.md, "Fleet benchmark"): the fleet-wide group rows
    // are shared by every host, and each host's transaction holds their row locks from its
    // upsert to its COMMIT. So this host's own rows (samples, the watermark) go first and the
    // shared upsert last: the locks are held for that statement and the COMMIT only.
    if (!sums.empty()) {
      const std::string samples = without_nul_escapes(samples_json(sums));
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
    if (!sums.empty()) pg.exec(kUpsertGroups, {id.host, without_nul_escapes(groups_json(sums))});
    return out;
  });
}

}  // namespace dbg::coord::fleet
