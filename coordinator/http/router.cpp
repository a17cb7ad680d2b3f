#include "coordinator/http/router.hpp"

#include <atomic>
#include <exception>
#include <stdexcept>

#include "coordinator/http/problem.hpp"
#include "coordinator/logging/log.hpp"

namespace dbg::coord::http {

namespace {

// "/a/b/" -> {"a", "b", ""}; "/" -> {""}. The trailing empty segment keeps "/a/" distinct from
// "/a", so a route matches exactly what was registered.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') return out;
  path.remove_prefix(1);
  for (;;) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool is_param(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void Router::add_async(std::string method, std::string_view pattern, AsyncHandler handler) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
  }
  Route route;
  route.method = std::move(method);
  route.pattern = std::string(pattern);
  for (auto segment : split_path(pattern)) {
    if (segment == "{}") throw std::invalid_argument("route parameter needs a name: " + route.pattern);
    route.segments.emplace_back(segment);
  }
  for (const auto& existing : routes_) {
    if (existing.method == route.method && existing.pattern == route.pattern) {
      throw std::invalid_argument("duplicate route: " + route.method + " " + route.pattern);
    }
  }
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

void Router::add(std::string method, std::string_view pattern, Handler handler) {
  add_async(std::move(method), pattern, [handler = std::move(handler)](HttpRequest request, Reply reply) {
    reply(handler(request));
  });
}

bool Router::match(const Route& route, const std::vector<std::string_view>& path_segments,
                   HttpRequest* request) {
  if (route.segments.size() != path_segments.size()) return false;
  for (std::size_t i = 0; i < path_segments.size(); ++i) {
    const std::string& want = route.segments[i];
    if (is_param(want)) {
      if (path_segments[i].empty()) return false;  // "/sessions/" names no session
    } else if (want != path_segments[i]) {
      return false;
    }
  }
  if (request != nullptr) {
    for (std::size_t i = 0; i < path_segments.size(); ++i) {
      const std::string& want = route.segments[i];
      if (is_param(want)) {
        request->params[want.substr(1, want.size() - 2)] = std::string(path_segments[i]);
      }
    }
  }
  return true;
}

void Router::set_auth(RequestCheck check, std::vector<std::string> prefixes) {
  auth_ = std::move(check);
  auth_prefixes_ = std::move(prefixes);
}

std::vector<Router::RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  out.reserve(routes_.size());
  for (const auto& route : routes_) out.push_back({route.method, route.pattern});
  return out;
}

bool Router::requires_auth(std::string_view path) const {
  for (const auto& prefix : auth_prefixes_) {
    if (path.size() >= prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
        (path.size() == prefix.size() || path[prefix.size()] == '/')) {
      return true;
    }
  }
  return false;
}

void Router::dispatch(HttpRequest request, Reply reply) const {
  // Wrapped first, so that every answer (401, 404, 405, a handler's) is observed exactly once;
  // the route's name is filled in once matching found it.
  std::shared_ptr<std::string> observed_route;
  if (observer_) {
    observed_route = std::make_shared<std::string>("unmatched");
    reply = [reply = std::move(reply), observed_route, observer = observer_, started = std::chrono::steady_clock::now()](
                HttpResponse response) {
      observer(*observed_route, response.status, std::chrono::steady_clock::now() - started);
      reply(std::move(response));
    };
  }
  if (requires_auth(request.path) && !(auth_ && auth_(request))) {
    if (observed_route) *observed_route = "unauthorized";
    reply(unauthorized());
    return;
  }
  auto segments = split_path(request.path);
  std::string allowed;
  for (const auto& route : routes_) {
    if (!match(route, segments, nullptr)) continue;
    // Every GET route answers HEAD too (RFC 9110 9.1: servers must support both); the session
    // sends the headers without the body.
    bool head_as_get = request.method == "HEAD" && route.method == "GET";
    if (route.method != request.method && !head_as_get) {
      if (!allowed.empty()) allowed += ", ";
      allowed += route.method == "GET" ? "GET, HEAD" : route.method;
      continue;
    }
    match(route, segments, &request);
    if (observed_route) *observed_route = route.pattern;
    // At most once, whatever the handler does: a handler that replies and then throws must not
    // produce a second response on the wire.
    auto replied = std::make_shared<std::atomic<bool>>(false);
    Reply once = [replied, reply](HttpResponse response) {
      if (!replied->exchange(true)) reply(std::move(response));
    };
    try {
      route.handler(std::move(request), once);
    } catch (const std::exception& e) {
      // If the handler replied before throwing, `once` drops this second answer.
      DBG_LOG_ERROR("handler for {} {} failed: {}", route.method, route.pattern, e.what());
      once(problem(500, "the server failed to handle this request; see its log"));
    }
    return;
  }
  if (!allowed.empty()) {
    auto response = problem(405, "method " + request.method + " is not allowed on " + request.path +
                                     "; allowed: " + allowed);
    response.headers.emplace_back("Allow", allowed);
    reply(std::move(response));
    return;
  }
  reply(problem(404, "no resource at " + request.path));
}

}  // namespace dbg::coord::http
