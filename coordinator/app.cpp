#include "coordinator/app.hpp"

#include <pthread.h>
#include <stdlib.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "coordinator/app_routes.hpp"
#include "coordinator/app_services.hpp"
#include "coordinator/app_shutdown.hpp"
#include "coordinator/auth/token.hpp"
#include "coordinator/http/events_endpoint.hpp"
#include "coordinator/http/listener.hpp"
#include "coordinator/http/server_context.hpp"
#include "coordinator/journal_stream.hpp"
#include "coordinator/logging/log.hpp"
#include "coordinator/logging/logger.hpp"
#include "coordinator/sd_notify.hpp"
#include "coordinator/store/data_dir.hpp"

namespace dbg::coord {

namespace {

// http://HOST:PORT/?token=T (http://HOST:PORT/ for an empty token), with the loopback address
// for a wildcard listen address.
std::string dashboard_url(const ListenAddress& bound, const std::string& token) {
  ListenAddress shown = bound;
  if (shown.host == "0.0.0.0") shown.host = "127.0.0.1";
  if (shown.host == "::") shown.host = "::1";
  return "http://" + shown.to_string() + (token.empty() ? "/" : "/?token=" + token);
}

// --list-routes builds the whole server to list what it registered, which needs a data
// directory: a throwaway one, so listing never creates or touches the configured one.
class ScratchDir {
 public:
  explicit ScratchDir(bool wanted) {
    if (!wanted) return;
    std::string pattern = (std::filesystem::temp_directory_path() / "dbgcoord-routes-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace

int run(const Config& config) {
  const auto started = std::chrono::steady_clock::now();

  ScratchDir scratch(config.list_routes);
  auto data_dir = store::ensure_data_dir(scratch.path().empty() ? config.data_dir : scratch.path());
  // Before the database: a bad --token-file is exit 1 with nothing else touched.
  auto token = auth::load_or_create_token(data_dir, config.token_file);
  // From here on logs also go to DATA_DIR/logs (asynchronous, sampled; logging/logger.hpp).
  logging::LoggerOptions log_options;
  log_options.directory = data_dir / "logs";
  logging::LoggerGuard logger(log_options);
  DBG_LOG_INFO("{}", auth::token_notice(token));
  // Every worker and watcher this server starts inherits it (worker/capture/capture_priority.hpp).
  ::setenv("DBG_CAPTURE_PRIORITY", config.realtime_capture ? "realtime" : "normal", 1);
  Services services(config, data_dir);
  auto router = build_router(services, token.token, started);
  if (config.list_routes) {
    for (const auto& route : router->routes()) std::printf("%s %s\n", route.method.c_str(), route.pattern.c_str());
    // Served by the HTTP session before routing (it upgrades to a WebSocket), with its own check.
    std::printf("GET %s websocket\n", std::string(http::kEventsPath).c_str());
    std::fflush(stdout);
    return kExitOk;
  }

  http::ServerContext context;
  context.router = router;
  context.hub = services.hub;
  // The event stream also takes ?token= and the dbgcoord_token cookie: browsers cannot set
  // headers on a WebSocket (the endpoint checks Origin against Host).
  context.events_auth = auth::token_check(token.token, true);
  context.limits = http::HttpLimits{};
  context.limits.max_connections = config.max_connections;
  http::Listener listener(services.ioc, config.listen, std::move(context));

  StopOnSignal stop_on_signal(services, listener);

  services.processes.start();
  // Before the watches: their resume re-installs the core watches on top of the host one.
  if (auto ok = services.crash.start(); !ok) throw std::runtime_error("--crash-capture host: " + ok.error().message);
  services.watches.start();
  services.watched_scan.start();
  services.archiver.start();
  services.budget.start();
  listener.start();
  auto bound = listener.local_address();
  if (!config.listen.is_loopback()) {
    // Allowed only with --allow-remote (config.cpp); said loudly, since whoever reaches this
    // port with the token can read the memory of every process we may trace.
    DBG_LOG_WARN("listening on non-loopback address {} (--allow-remote): anyone who can reach it and has the "
                 "token can read the memory of the processes this server may trace; put TLS and a firewall "
                 "in front of it",
                 bound.to_string());
  }
  // Plain stdout, not the logger: this line is the machine-readable contract (tests and scripts
  // parse the port when --listen asked for port 0), and stdout may be a pipe, hence the flush.
  std::printf("dbgcoord listening on http://%s (data: %s)\n", bound.to_string().c_str(), data_dir.c_str());
  // The dashboard URL logs the browser in once (the page keeps the token for the tab and strips
  // it from the address bar). On stdout only, like the token file it comes from: never in the
  // log files. A wildcard listen address is not something a browser can open: loopback then.
  // Under systemd stdout is the journal, which other users may read: the URL without the
  // token then, and where to find it.
  if (stdout_is_journal()) {
    std::printf("dashboard: %s (token: %s)\n", dashboard_url(bound, "").c_str(), token.path.c_str());
  } else {
    std::printf("dashboard: %s\n", dashboard_url(bound, token.token).c_str());
  }
  std::fflush(stdout);
  // Type=notify (packaging/dbgcoord.service): serving from here on. Nothing without systemd.
  sd_notify("READY=1");

  std::vector<std::thread> io_threads;
  for (std::size_t i = 1; i < config.io_threads; ++i) {
    io_threads.emplace_back([&ioc = services.ioc, i] {
      std::string name = "dbg-io-" + std::to_string(i);
      pthread_setname_np(pthread_self(), name.c_str());
      ioc.run();
    });
  }
  services.ioc.run();
  finish_after_stop(services, io_threads);
  DBG_LOG_INFO("stopped");
  return kExitOk;
}

}  // namespace dbg::coord
