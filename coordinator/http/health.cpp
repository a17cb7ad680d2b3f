#include "coordinator/http/health.hpp"

#include <nlohmann/json.hpp>

#include "coordinator/config.hpp"
#include "coordinator/http/router.hpp"

namespace dbg::coord::http {

void add_health_routes(Router& router, std::chrono::steady_clock::time_point started, HealthExtra extra) {
  router.add("GET", "/healthz", [started, extra = std::move(extra)](const HttpRequest&) {
    // steady_clock: uptime must not jump when someone sets the wall clock.
    auto uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started);
    nlohmann::json body = {
        {"status", "ok"},
        {"version", version()},
        {"uptime_s", uptime.count()},
    };
    if (extra) extra(body);
    HttpResponse response;
    response.body = body.dump();
    response.headers.emplace_back("Cache-Control", "no-store");
    return response;
  });
}

}  // namespace dbg::coord::http
