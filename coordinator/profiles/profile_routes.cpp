#include "coordinator/profiles/profile_routes.hpp"

#include <nlohmann/json.hpp>

#include "coordinator/api/query.hpp"
#include "coordinator/api/routes.hpp"
#include "coordinator/profiles/profile_exports.hpp"
#include "coordinator/profiles/profile_filter.hpp"
#include "coordinator/profiles/profile_store.hpp"
#include "dbg/protocol.hpp"

namespace dbg::coord::profiles {

namespace {

http::HttpResponse download(std::string body, std::string content_type, const std::string& file_name) {
  http::HttpResponse r;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + file_name + "\"");
  return r;
}

}  // namespace

void add_profile_routes(http::Router& router, store::Store& store) {
  router.add_async("GET", "/api/v1/profiles/{id}", [&store](http::HttpRequest req, http::Reply reply) {
    auto id = api::parse_route_id(req.params.at("id"));
    if (!id)
      return reply(api::error_response(Error{"bad_request", "profile ids are positive integers, got \"" + req.params.at("id") + "\""}));
    auto q = api::parse_query(req.query, {"format", "thread", "group"});
    if (!q) return reply(api::error_response(q.error()));
    const auto& params = q.value();
    std::string format = params.count("format") ? params.at("format") : "json";
    if (format != "json" && format != "folded" && format != "speedscope" && format != "pprof")
      return reply(api::error_response(
          Error{"bad_request", "unknown format \"" + format + "\": use json, folded, speedscope or pprof"}));
    std::optional<int> thread;
    if (params.count("thread")) {
      auto tid = api::parse_route_id(params.at("thread"));
      if (!tid || *tid > INT32_MAX)
        return reply(api::error_response(Error{"bad_request", "thread must be a thread id, got \"" + params.at("thread") + "\""}));
      thread = static_cast<int>(*tid);
    }
    bool by_thread = false;
    if (params.count("group")) {
      if (params.at("group") != "thread" || format != "folded")
        return reply(api::error_response(Error{"bad_request", "group=thread applies to format=folded only"}));
      by_thread = true;
    }
    // Decompressing and exporting a large profile takes milliseconds: done on the store thread,
    // off the network thread, where the profile is loaded anyway.
    load_profile(store, *id, [reply, format, thread, by_thread, id = *id](std::optional<StoredProfile> stored) {
      if (!stored) return reply(api::error_response(Error{"not_found", "no profile " + std::to_string(id)}));
      Profile p = std::move(stored->profile);
      if (thread) {
        auto filtered = only_thread(std::move(p), *thread);
        if (!filtered)
          return reply(api::error_response(Error{"not_found", "profile " + std::to_string(id) + " has no thread " + std::to_string(*thread)}));
        p = std::move(*filtered);
      }
      const std::string base = "profile-" + std::to_string(id) + (thread ? "-" + std::to_string(*thread) : "");
      if (format == "folded") {
        http::HttpResponse r;
        r.content_type = "text/plain; charset=utf-8";
        r.body = format_profile_folded(p, FoldedOptions{by_thread, thread});
        return reply(std::move(r));
      }
      if (format == "speedscope") {
        std::string name = p.comm + " (pid " + std::to_string(p.pid) + ", profile " + std::to_string(id) + ")";
        return reply(download(protocol::dump(to_speedscope(p, name)), "application/json", base + ".speedscope.json"));
      }
      if (format == "pprof") return reply(download(to_pprof_gzip(p), "application/octet-stream", base + ".pb.gz"));
      nlohmann::json body = p;
      body["id"] = id;
      body["session_id"] = stored->session_id;
      body["created_at_ms"] = stored->created_at_ms;
      reply(api::json_response(200, body));
    });
  });
}

}  // namespace dbg::coord::profiles
