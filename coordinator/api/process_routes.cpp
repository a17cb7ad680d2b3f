// GET /api/v1/processes?limit=N&match=REGEX: live processes, ranked, each with its score's terms
// and whether the target policy lets us trace it.
#include <boost/asio/post.hpp>
#include <regex>

#include "coordinator/api/query.hpp"
#include "coordinator/api/routes.hpp"
#include "coordinator/procfs/process_match.hpp"
#include "coordinator/sessions/session_request.hpp"
#include "coordinator/sessions/target_resolver.hpp"

namespace dbg::coord::api {

void add_process_routes(http::Router& router, ApiContext ctx) {
  router.add_async("GET", "/api/v1/processes", [ctx](http::HttpRequest req, http::Reply reply) {
    auto q = parse_query(req.query, {"limit", "match"});
    if (!q) return reply(error_response(q.error()));
    auto limit = int_param(q.value(), "limit", 100, 1, 100000);
    if (!limit) return reply(error_response(limit.error()));
    std::optional<std::regex> match;
    if (auto it = q.value().find("match"); it != q.value().end()) {
      if (it->second.empty() || it->second.size() > sessions::kMaxMatchLength)
        return reply(error_response(Error{"bad_request", "\"match\" must be 1.." + std::to_string(sessions::kMaxMatchLength) + " characters"}));
      auto compiled = procfs::compile_pattern(it->second);
      if (!compiled)
        return reply(error_response(Error{"bad_request", "invalid regular expression in \"match\": " + compiled.error().message}));
      match = std::move(compiled.value());
    }
    boost::asio::post(ctx.blocking, [ctx, reply, match = std::move(match), limit = limit.value()] {
      auto ranked = ctx.resolver.ranked();
      nlohmann::json list = nlohmann::json::array();
      for (const auto& p : ranked) {
        if (match && !procfs::matches_comm_or_cmdline(*match, p.process)) continue;
        if (static_cast<long long>(list.size()) >= limit) break;
        nlohmann::json j = p;
        auto d = ctx.resolver.policy().check(p.process);
        j["traceable"] = d.allowed;
        if (!d.allowed) j["not_traceable_because"] = {{"code", d.code}, {"reason", d.reason}};
        list.push_back(std::move(j));
      }
      reply(json_response(200, {{"processes", std::move(list)}, {"total", ranked.size()}}));
    });
  });
}

}  // namespace dbg::coord::api
