// Fuzz entry for the HTTP request path without a network: the input is what a client would
// send on one connection. Beast's parser takes it with the server's limits (HttpLimits), each
// complete request becomes the router's HttpRequest exactly as http_session.cpp makes it
// (to_http_request), gets a valid token added, and is dispatched to the real routes: health,
// error groups (JSON bodies, a real SQLite store in a temp directory), logging, and the
// sessions, snapshots, profiles, watches and processes of /api/v1 with a policy that refuses
// every target, so that no worker or watcher is ever started (api_fixture.hpp).
//
// Invariants besides "no crash": every request is answered (a dropped Reply would close a
// client's connection for nothing), never with a 5xx (bad input is the client's fault: 4xx),
// and a problem answer is problem+json whose "status" is the HTTP status; and no request
// starts a process.
#include <stdlib.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <thread>

#include "coordinator/auth/token.hpp"
#include "coordinator/errors/error_routes.hpp"
#include "coordinator/errors/error_service.hpp"
#include "coordinator/events/hub.hpp"
#include "coordinator/http/beast_request.hpp"
#include "coordinator/http/health.hpp"
#include "coordinator/http/limits.hpp"
#include "coordinator/http/router.hpp"
#include "coordinator/logging/routes.hpp"
#include "coordinator/store/store.hpp"
#include "api_fixture.hpp"
#include "fuzz_targets.hpp"

namespace dbg::fuzz {

namespace {

namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using namespace dbg::coord;

constexpr const char* kToken = "fuzz-token-0123456789abcdef";

std::filesystem::path make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "dbg-fuzz-http-XXXXXX").string();
  check(::mkdtemp(pattern.data()) != nullptr, "mkdtemp failed");
  return pattern;
}

// The server side, built once per process: the routes answer on the io thread, the store's
// writer thread and the error service's parser thread, as in dbgcoord.
struct HttpFixture {
  std::filesystem::path dir = make_temp_dir();
  std::unique_ptr<store::Store> store = store::Store::open(dir / "fuzz.db");
  net::io_context ioc;
  net::executor_work_guard<net::io_context::executor_type> work = net::make_work_guard(ioc);
  std::thread io_thread{[this] { ioc.run(); }};
  std::shared_ptr<events::Hub> hub = std::make_shared<events::Hub>();
  errors::ErrorService error_service{*store, hub, ioc.get_executor()};
  http::Router router;
  http::HttpLimits limits;
  std::shared_ptr<ApiFixture> api;

  HttpFixture() {
    // The logging route may raise the level; log lines on stderr would only slow the fuzzer.
    spdlog::set_level(spdlog::level::off);
    http::add_health_routes(router, std::chrono::steady_clock::now());
    errors::add_error_routes(router, error_service);
    logging::add_logging_routes(router);
    api = add_untraced_api_routes(router, ioc, *store, *hub, error_service.recorder());
    router.set_auth(auth::token_check(kToken, false));
  }
};

HttpFixture& fixture() {
  // Never destroyed: libFuzzer exits from anywhere, and tearing down the store and the threads
  // at exit gains nothing. Its directory goes at exit.
  static HttpFixture* f = [] {
    auto* made = new HttpFixture;
    static std::filesystem::path dir = made->dir;
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    });
    return made;
  }();
  return *f;
}

void check_response(const http::HttpResponse& response) {
  check(response.status >= 200 && response.status < 500, "a request got a 1xx or 5xx answer");
  if (response.content_type == "application/problem+json") {
    auto body = nlohmann::json::parse(response.body, nullptr, false);
    check(body.is_object() && body.value("status", 0u) == response.status, "problem body does not match its status");
  }
}

void dispatch_and_wait(HttpFixture& f, http::HttpRequest request) {
  auto answered = std::make_shared<std::promise<http::HttpResponse>>();
  auto future = answered->get_future();
  f.router.dispatch(std::move(request), [answered](http::HttpResponse response) {
    answered->set_value(std::move(response));
  });
  // Generous: the answer needs the store's writer thread; only a lost reply takes this long.
  check(future.wait_for(std::chrono::seconds(20)) == std::future_status::ready, "request not answered");
  http::HttpResponse response;
  try {
    response = future.get();
  } catch (const std::future_error&) {
    check(false, "a handler dropped its Reply without answering");
  }
  check_response(response);
}

}  // namespace

void http_one_input(const uint8_t* data, size_t size) {
  HttpFixture& f = fixture();
  net::const_buffer rest(data, size);
  // Up to 4 pipelined requests per input: what follows a request on a connection is parsed
  // by a fresh parser, as http_session does.
  for (int i = 0; i < 4 && rest.size() > 0; ++i) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(f.limits.header_bytes));
    parser.body_limit(f.limits.body_bytes);
    parser.eager(true);
    boost::beast::error_code ec;
    while (!parser.is_done() && rest.size() > 0) {
      std::size_t used = parser.put(rest, ec);
      rest += used;
      if (ec == bhttp::error::need_more) {
        ec = {};
        if (used == 0) break;
        continue;
      }
      if (ec) return;  // answered 400/413/431 by the session, the connection closed
      if (used == 0) break;
    }
    if (!parser.is_done()) {
      parser.put_eof(ec);
      if (ec || !parser.is_done()) return;  // incomplete: the client would time out
    }
    auto message = parser.release();
    http::HttpRequest request = http::to_http_request(message);
    request.headers.insert(request.headers.begin(), {"Authorization", std::string("Bearer ") + kToken});
    dispatch_and_wait(f, std::move(request));
    check(started_no_process(), "a request started a process (a worker or the watcher)");
  }
}

}  // namespace dbg::fuzz
