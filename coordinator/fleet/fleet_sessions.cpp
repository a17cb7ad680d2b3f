#include "coordinator/fleet/fleet_sessions.hpp"

#include <algorithm>
#include <map>

#include "coordinator/fleet/fleet_identity.hpp"
#include "coordinator/fleet/fleet_settings.hpp"
#include "coordinator/fleet/fleet_tasks.hpp"
#include "coordinator/fleet/pg.hpp"
#include "coordinator/sessions/session_request.hpp"

namespace dbg::coord::fleet {

namespace {

Error bad(std::string message) { return Error{"bad_request", std::move(message)}; }

constexpr const char* kSessionHead = R"sql(
SELECT id, kind, hosts::text, targets::text, options::text, created_by,
       (extract(epoch FROM created_at) * 1000)::bigint, deadline_s,
       now() > created_at + make_interval(secs => deadline_s)
FROM fleet_sessions
)sql";

constexpr const char* kTasks = R"sql(
SELECT t.host, t.state, t.local_session_id, t.error, t.result::text,
       (extract(epoch FROM t.claimed_at) * 1000)::bigint, (extract(epoch FROM t.finished_at) * 1000)::bigint,
       h.host IS NULL OR now() - h.last_heartbeat >= make_interval(secs => 3 * h.heartbeat_s)
FROM fleet_tasks t LEFT JOIN fleet_hosts h ON h.host = t.host
WHERE t.session_id = $1 ORDER BY t.host
)sql";

nlohmann::json head_json(const PgResult& r, int row) {
  auto parse = [](std::string_view text) { return nlohmann::json::parse(text, nullptr, false); };
  return {{"id", r.text(row, 0)},
          {"kind", r.text(row, 1)},
          {"hosts_requested", parse(r.text(row, 2))},
          {"targets", parse(r.text(row, 3))},
          {"options", parse(r.text(row, 4))},
          {"created_by", r.text(row, 5)},
          {"created_at_ms", r.integer(row, 6)},
          {"deadline_s", r.integer(row, 7)}};
}

std::string shown_status(std::string_view state, bool host_down, bool past_deadline) {
  if (state == "done" || state == "failed") return std::string(state);
  if (host_down) return "host_down";
  if (past_deadline) return "timed_out";
  return std::string(state);
}

struct Merged {
  nlohmann::json session;  // head + tasks + hosts
  MergedStacks stacks;
};

std::optional<Merged> read_merged(PgConnection& pg, const std::string& id) {
  const auto head = pg.exec(std::string(kSessionHead) + " WHERE id = $1", {id});
  if (head.rows() == 0) return std::nullopt;
  Merged m;
  m.session = head_json(head, 0);
  const bool past_deadline = head.boolean(0, 8);
  const auto tasks = pg.exec(kTasks, {id});
  nlohmann::json hosts = nlohmann::json::object();
  std::map<std::string, int> by_status;
  bool finished = true;
  for (int i = 0; i < tasks.rows(); ++i) {
    const std::string host(tasks.text(i, 0));
    const std::string status = shown_status(tasks.text(i, 1), tasks.boolean(i, 7), past_deadline);
    ++by_status[status];
    if (status == "queued" || status == "running") finished = false;
    nlohmann::json h = {{"status", status},
                        {"local_session_id", tasks.is_null(i, 2) ? nlohmann::json(nullptr) : nlohmann::json(tasks.text(i, 2))},
                        {"error", tasks.is_null(i, 3) ? nlohmann::json(nullptr) : nlohmann::json(tasks.text(i, 3))},
                        {"claimed_at_ms", tasks.is_null(i, 5) ? nlohmann::json(nullptr) : nlohmann::json(tasks.integer(i, 5))},
                        {"finished_at_ms", tasks.is_null(i, 6) ? nlohmann::json(nullptr) : nlohmann::json(tasks.integer(i, 6))}};
    int64_t samples = 0;
    if (!tasks.is_null(i, 4)) {
      const auto result = nlohmann::json::parse(tasks.text(i, 4), nullptr, false);
      if (result.is_object()) {
        for (const char* key : {"targets", "done", "failed"}) h[key] = result.value(key, 0);
        h["total_ms"] = result.value("total_ms", nlohmann::json(nullptr));
        if (result.contains("folded") && result.at("folded").is_object()) {
          for (const auto& [stack, count] : result.at("folded").items()) {
            const int64_t n = count.is_number_integer() ? count.get<int64_t>() : 0;
            m.stacks[stack][host] += n;
            samples += n;
          }
        }
      }
    }
    h["samples"] = samples;
    hosts[host] = std::move(h);
  }
  m.session["status"] = finished ? "done" : "running";
  m.session["progress"] = by_status;
  m.session["hosts"] = std::move(hosts);
  return m;
}

}  // namespace

Result<FleetSessionRequest> parse_fleet_session_request(const std::string& body) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("the body must be a JSON object");
  for (const auto& [key, value] : j.items()) {
    static const char* kKnown[] = {"hosts", "kind", "targets", "options", "deadline_s"};
    if (std::find_if(std::begin(kKnown), std::end(kKnown), [&](const char* k) { return key == k; }) == std::end(kKnown))
      return bad("unknown field \"" + key + "\"");
  }
  FleetSessionRequest out;
  if (!j.contains("hosts")) return bad("\"hosts\" is required: \"all\", a list of host names or {\"label\":{...}}");
  const auto& hosts = j.at("hosts");
  if (hosts.is_string()) {
    if (hosts != "all") return bad("\"hosts\" as a string must be \"all\"");
  } else if (hosts.is_array()) {
    if (hosts.empty() || hosts.size() > 10000) return bad("\"hosts\" must list 1..10000 host names");
    for (const auto& h : hosts) {
      if (!h.is_string()) return bad("\"hosts\" must list host names (strings)");
      if (auto why = check_host_name(h.get<std::string>())) return bad("\"hosts\": " + *why);
    }
  } else if (hosts.is_object()) {
    if (hosts.size() != 1 || !hosts.contains("label") || !hosts.at("label").is_object() || hosts.at("label").empty())
      return bad("\"hosts\" as an object must be {\"label\":{\"key\":\"value\",...}}");
    for (const auto& [k, v] : hosts.at("label").items())
      if (!v.is_string()) return bad("label \"" + k + "\" must be a string");
  } else {
    return bad("\"hosts\" must be \"all\", a list of host names or {\"label\":{...}}");
  }
  out.hosts = hosts;
  if (j.contains("deadline_s")) {
    if (!j.at("deadline_s").is_number_integer()) return bad("\"deadline_s\" must be an integer");
    const auto d = j.at("deadline_s").get<int64_t>();
    if (d < 1 || d > kMaxSessionDeadlineS) return bad("\"deadline_s\" must be 1.." + std::to_string(kMaxSessionDeadlineS));
    out.deadline_s = static_cast<int>(d);
  }
  // The local session's own checks, so a request every host would refuse is refused here.
  nlohmann::json local = {{"kind", j.value("kind", std::string("snapshot"))}};
  if (j.contains("targets")) local["targets"] = j.at("targets");
  if (j.contains("options")) local["options"] = j.at("options");
  auto checked = sessions::parse_session_request(local.dump());
  if (!checked) return checked.error();
  if (checked.value().kind != "snapshot" && checked.value().kind != "profile")
    return bad("fleet sessions are \"snapshot\" or \"profile\"");
  out.kind = checked.value().kind;
  out.targets = local.value("targets", nlohmann::json::object());
  out.options = local.value("options", nlohmann::json::object());
  return out;
}

nlohmann::json create_session(PgConnection& pg, const FleetSessionRequest& request, const std::string& created_by) {
  const std::string id = random_id();
  in_transaction(pg, [&] {
    std::vector<std::string> hosts;
    if (request.hosts.is_string()) {
      const auto r = pg.exec("SELECT host FROM fleet_hosts ORDER BY host");
      for (int i = 0; i < r.rows(); ++i) hosts.emplace_back(r.text(i, 0));
    } else if (request.hosts.is_object()) {
      const auto r = pg.exec("SELECT host FROM fleet_hosts WHERE labels @> $1::jsonb ORDER BY host",
                             {request.hosts.at("label").dump()});
      for (int i = 0; i < r.rows(); ++i) hosts.emplace_back(r.text(i, 0));
    } else {
      for (const auto& h : request.hosts) hosts.push_back(h.get<std::string>());
      std::sort(hosts.begin(), hosts.end());
      hosts.erase(std::unique(hosts.begin(), hosts.end()), hosts.end());
      for (const auto& h : hosts) {
        if (pg.exec("SELECT 1 FROM fleet_hosts WHERE host = $1", {h}).rows() == 0)
          throw FleetRequestError{"no host \"" + h + "\" in the fleet (GET /api/v1/fleet/hosts lists them)"};
      }
    }
    if (hosts.empty()) throw FleetRequestError{"no host of the fleet matches \"hosts\""};
    pg.exec("INSERT INTO fleet_sessions (id, kind, hosts, targets, options, created_by, deadline_s)"
            " VALUES ($1, $2, $3::jsonb, $4::jsonb, $5::jsonb, $6, $7)",
            {id, request.kind, request.hosts.dump(), request.targets.dump(), request.options.dump(), created_by,
             std::to_string(request.deadline_s)});
    for (const auto& h : hosts) {
      pg.exec("INSERT INTO fleet_tasks (session_id, host, state) VALUES ($1, $2, 'queued')", {id, h});
    }
    // Delivered at COMMIT; every coordinator wakes and claims only its own tasks.
    pg.exec(std::string("SELECT pg_notify('") + kTasksChannel + "', $1)", {id});
  });
  auto view = read_merged(pg, id);
  return view ? view->session : nlohmann::json(nullptr);
}

nlohmann::json session_view(PgConnection& pg, const std::string& id, std::size_t stack_limit) {
  auto m = read_merged(pg, id);
  if (!m) return nullptr;
  std::vector<std::pair<int64_t, const std::string*>> order;
  for (const auto& [stack, hosts] : m->stacks) {
    int64_t total = 0;
    for (const auto& [h, n] : hosts) total += n;
    order.emplace_back(total, &stack);
  }
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : *a.second < *b.second;
  });
  nlohmann::json stacks = nlohmann::json::array();
  for (std::size_t i = 0; i < order.size() && i < stack_limit; ++i) {
    stacks.push_back({{"stack", *order[i].second}, {"count", order[i].first}, {"hosts", m->stacks.at(*order[i].second)}});
  }
  m->session["stacks"] = std::move(stacks);
  m->session["stacks_total"] = order.size();
  return std::move(m->session);
}

std::optional<MergedStacks> session_stacks(PgConnection& pg, const std::string& id) {
  auto m = read_merged(pg, id);
  if (!m) return std::nullopt;
  return std::move(m->stacks);
}

std::string folded_text(const MergedStacks& stacks) {
  std::string out;
  for (const auto& [stack, hosts] : stacks) {
    int64_t total = 0;
    for (const auto& [h, n] : hosts) total += n;
    out += stack + " " + std::to_string(total) + "\n";
  }
  return out;
}

nlohmann::json list_sessions(PgConnection& pg, int limit) {
  const auto r = pg.exec(std::string(kSessionHead) + " ORDER BY created_at DESC LIMIT $1", {std::to_string(limit)});
  nlohmann::json out = nlohmann::json::array();
  for (int i = 0; i < r.rows(); ++i) out.push_back(head_json(r, i));
  return {{"sessions", std::move(out)}};
}

}  // namespace dbg::coord::fleet
