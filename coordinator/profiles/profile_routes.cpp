#include "coordinator/profiles/profile_routes.hpp"

#include <cerrno>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "coordinator/api/query.hpp"
#include "coordinator/api/routes.hpp"
#include "coordinator/profiles/profile_exports.hpp"
#include "coordinator/profiles/profile_store.hpp"
#include "dbg/protocol.hpp"

namespace dbg::coord::profiles {

namespace {

std::optional<long long> positive_integer(const std::string& raw) {
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(raw.c_str(), &end, 10);
  if (raw.empty() || *end != '\0' || errno != 0 || v <= 0) return std::nullopt;
  return v;
}

// Keeps one thread's counts (and its row in the thread table) only.
Profile only_thread(Profile p, int tid) {
  std::vector<ProfileCount> kept;
  for (const auto& c : p.counts)
    if (p.threads[c.thread].tid == tid) kept.push_back(c);
  p.counts = std::move(kept);
  for (auto& t : p.threads)
    if (t.tid != tid) t.samples = 0;
  uint64_t total = 0;
  for (const auto& c : p.counts) total += c.samples;
  p.samples = total;
  return p;
}

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
    auto id = positive_integer(req.params.at("id"));
    if (!id)
      return reply(api::error_response(Error{"bad_request", "profile ids are positive integers, got \"" + req.params.at("id") + "\""}));
    auto q = api::parse_query(req.query);
    if (!q) return reply(api::error_response(q.error()));
    const auto& params = q.value();
    for (const auto& [key, value] : params) {
      if (key != "format" && key != "thread" && key != "group")
        return reply(api::error_response(Error{"bad_request", "unknown parameter \"" + key + "\" (format, thread, group)"}));
    }
    std::string format = params.count("format") ? params.at("format") : "json";
    if (format != "json" && format != "folded" && format != "speedscope" && format != "pprof")
      return reply(api::error_response(
          Error{"bad_request", "unknown format \"" + format + "\": use json, folded, speedscope or pprof"}));
    std::optional<int> thread;
    if (params.count("thread")) {
      auto tid = positive_integer(params.at("thread"));
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
        bool known = false;
        for (const auto& t : p.threads) known = known || t.tid == *thread;
        if (!known)
          return reply(api::error_response(Error{"not_found", "profile " + std::to_string(id) + " has no thread " + std::to_string(*thread)}));
        p = only_thread(std::move(p), *thread);
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
