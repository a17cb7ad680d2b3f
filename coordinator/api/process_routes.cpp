// GET /api/v1/processes?limit=N&match=REGEX&sort=KEY&order=asc|desc&cursor=C&pid=P: live processes,
// ranked, each with its score's terms and whether the target policy lets us trace it, one page
// at a time. Answered from the process table (ranking/process_table.hpp) in memory: the cost of
// a request is its page, not the host. Each process's JSON is written once per version of it
// and reused (TableEntry::json), so a page is mostly string concatenation. The pages of one
// listing are cut from the table version its first page came from, kept for a while
// (PinnedSnapshots in process_cursor.hpp), so values that move in between (score, cpu, rss)
// neither repeat nor skip a process.
#include <boost/asio/post.hpp>
#include <regex>

#include "coordinator/api/process_cursor.hpp"
#include "coordinator/api/query.hpp"
#include "coordinator/api/routes.hpp"
#include "coordinator/procfs/process_match.hpp"
#include "coordinator/sessions/session_request.hpp"
#include "coordinator/sessions/target_resolver.hpp"
#include "dbg/protocol.hpp"

namespace dbg::coord::api {

namespace {

// Pages longer than this are written on the blocking pool, not on a network thread.
constexpr long long kInlinePageLimit = 1000;

struct PageRequest {
  long long limit = 100;
  std::optional<std::regex> match;
  ranking::SortKey key = ranking::SortKey::score;
  ranking::SortOrder order = ranking::SortOrder::desc;
  std::optional<ProcessCursor> cursor;
  std::optional<int> pid;  // only this process (the dashboard's filter by pid)
};

Result<PageRequest> parse_page_request(const QueryParams& q) {
  PageRequest page;
  auto limit = int_param(q, "limit", 100, 1, 100000);
  if (!limit) return limit.error();
  page.limit = limit.value();
  if (auto it = q.find("match"); it != q.end()) {
    if (it->second.empty() || it->second.size() > sessions::kMaxMatchLength)
      return Error{"bad_request", "\"match\" must be 1.." + std::to_string(sessions::kMaxMatchLength) + " characters"};
    auto compiled = procfs::compile_pattern(it->second);
    if (!compiled) return Error{"bad_request", "invalid regular expression in \"match\": " + compiled.error().message};
    page.match = std::move(compiled.value());
  }
  std::optional<ranking::SortKey> key;
  if (auto it = q.find("sort"); it != q.end()) {
    key = ranking::parse_sort_key(it->second);
    if (!key) return Error{"bad_request", "\"sort\" must be one of score, pid, cpu, rss, threads, comm"};
  }
  std::optional<ranking::SortOrder> order;
  if (auto it = q.find("order"); it != q.end()) {
    if (it->second == "asc") order = ranking::SortOrder::asc;
    else if (it->second == "desc") order = ranking::SortOrder::desc;
    else return Error{"bad_request", "\"order\" must be asc or desc"};
  }
  if (auto it = q.find("cursor"); it != q.end()) {
    auto cursor = decode_cursor(it->second);
    if (!cursor) return cursor.error();
    // A cursor continues the listing it came from: another sort or order is another listing.
    if ((key && *key != cursor.value().key) || (order && *order != cursor.value().order))
      return Error{"bad_request", "\"cursor\" belongs to sort=" + std::string(ranking::to_string(cursor.value().key)) +
                                      "&order=" + ranking::to_string(cursor.value().order) + ", not to the sort asked for"};
    key = cursor.value().key;
    order = cursor.value().order;
    page.cursor = std::move(cursor.value());
  }
  if (q.count("pid")) {
    auto pid = int_param(q, "pid", 0, 1, 2147483647);
    if (!pid) return pid.error();
    page.pid = static_cast<int>(pid.value());
  }
  page.key = key.value_or(ranking::SortKey::score);
  page.order = order.value_or(ranking::default_order(page.key));
  return page;
}

void append_table_info(std::string& out, const ranking::TableInfo& info) {
  nlohmann::json j = {{"events", info.events},
                      {"generation", info.generation},
                      {"refreshed_at_ms", info.refreshed_at_ms},
                      {"refresh_interval_ms", info.refresh_interval_ms},
                      {"refresh_cpu_ms", info.refresh_cpu_ms},
                      {"scans", info.scans},
                      {"events_applied", info.events_applied},
                      {"overflows", info.overflows}};
  if (!info.events_reason.empty()) j["events_reason"] = info.events_reason;
  out += protocol::dump(j);
}

// How the page's table version was chosen: "latest" (no cursor), "kept" (the version the
// cursor names) or "expired" (that version is no longer kept: the latest, by value and pid).
http::HttpResponse page_response(const ranking::TableSnapshot& snap, const PageRequest& page,
                                 const policy::TargetPolicy& policy, const char* cursor_snapshot,
                                 bool* handed_cursor) {
  std::vector<const ranking::TableEntry*> one;
  if (page.pid) {
    if (const auto* e = snap.find(*page.pid)) one.push_back(e);
  }
  const auto& list = page.pid ? one : snap.ordered(page.key, page.order);
  std::size_t i = page.cursor && !page.pid ? snap.first_after(page.key, page.order, page.cursor->value, page.cursor->pid) : 0;
  std::string body = "{\"processes\":[";
  long long listed = 0;
  const ranking::TableEntry* last = nullptr;
  for (; i < list.size() && listed < page.limit; ++i) {
    const ranking::TableEntry* e = list[i];
    const auto& p = e->ranked.process;
    if (page.match && !procfs::matches_comm_or_cmdline(*page.match, p)) continue;
    const std::string& json = e->json();  // "{…}": the traceability is added before its '}'
    if (listed > 0) body += ',';
    body.append(json, 0, json.size() - 1);
    auto d = policy.check(p);
    if (d.allowed) {
      body += ",\"traceable\":true}";
    } else {
      body += ",\"traceable\":false,\"not_traceable_because\":";
      body += protocol::dump(nlohmann::json{{"code", d.code}, {"reason", d.reason}});
      body += '}';
    }
    ++listed;
    last = e;
  }
  body += "],\"total\":" + std::to_string(snap.size());
  body += ",\"sort\":\"" + std::string(ranking::to_string(page.key)) + "\",\"order\":\"" + ranking::to_string(page.order) + "\"";
  body += ",\"next_cursor\":";
  *handed_cursor = last && i < list.size();
  if (*handed_cursor) {
    body += '"' +
            encode_cursor(ProcessCursor{page.key, page.order, ranking::sort_value(last->ranked, page.key),
                                        last->ranked.process.pid, snap.info().generation}) +
            '"';
  } else {
    body += "null";
  }
  body += ",\"cursor_snapshot\":\"" + std::string(cursor_snapshot) + "\"";
  body += ",\"table\":";
  append_table_info(body, snap.info());
  body += '}';
  http::HttpResponse r;
  r.status = 200;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

}  // namespace

void add_process_routes(http::Router& router, ApiContext ctx) {
  auto pinned = std::make_shared<PinnedSnapshots>();
  router.add_async("GET", "/api/v1/processes", [ctx, pinned](http::HttpRequest req, http::Reply reply) {
    auto q = parse_query(req.query, {"limit", "match", "sort", "order", "cursor", "pid"});
    if (!q) return reply(error_response(q.error()));
    auto parsed = parse_page_request(q.value());
    if (!parsed) return reply(error_response(parsed.error()));
    auto page = std::make_shared<PageRequest>(std::move(parsed.value()));
    // One page of one listing: answered from `snap`; a page that hands out a cursor keeps its
    // version for the pages after it.
    auto answer = [ctx, reply, page, pinned](std::shared_ptr<const ranking::TableSnapshot> snap, const char* how) {
      auto respond = [ctx, reply, page, pinned, snap, how] {
        bool handed_cursor = false;
        auto r = page_response(*snap, *page, ctx.resolver.policy(), how, &handed_cursor);
        if (handed_cursor) pinned->pin(snap);
        reply(std::move(r));
      };
      if (page->limit <= kInlinePageLimit && !page->match) return respond();
      // Long pages and regexes over every process: not on a network thread.
      boost::asio::post(ctx.blocking, std::move(respond));
    };
    if (page->cursor && !page->pid && page->cursor->generation != 0) {
      if (auto kept = pinned->find(page->cursor->generation)) return answer(std::move(kept), "kept");
    }
    const char* how = page->cursor && !page->pid ? "expired" : "latest";
    // Usually at once, from the latest version; after the queued process events otherwise, so
    // a process that was started before this request is in its answer.
    ctx.resolver.table().when_current(
        [answer, how](std::shared_ptr<const ranking::TableSnapshot> snap) { answer(std::move(snap), how); });
  });
}

}  // namespace dbg::coord::api
