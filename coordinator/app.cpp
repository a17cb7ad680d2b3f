#include "coordinator/app.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "coordinator/http/health.hpp"
#include "coordinator/http/listener.hpp"
#include "coordinator/http/router.hpp"
#include "coordinator/store/data_dir.hpp"
#include "coordinator/store/database.hpp"
#include "coordinator/store/migrations.hpp"

namespace dbg::coord {

namespace {

constexpr const char* kDatabaseFile = "dbgcoord.db";

std::shared_ptr<const http::Router> make_router(std::chrono::steady_clock::time_point started) {
  auto router = std::make_shared<http::Router>();
  http::add_health_routes(*router, started);
  return router;
}

}  // namespace

int run(const Config& config) {
  const auto started = std::chrono::steady_clock::now();

  auto data_dir = store::ensure_data_dir(config.data_dir);
  auto db = store::Database::open(data_dir / kDatabaseFile);
  auto migrated = store::migrate(db, store::embedded_migrations());
  if (migrated.from_version != migrated.to_version) {
    spdlog::info("database {} migrated from schema version {} to {}", db.path().string(), migrated.from_version,
                 migrated.to_version);
  } else {
    spdlog::info("database {} at schema version {}", db.path().string(), migrated.to_version);
  }

  // One io_context, run by this thread for now; sessions already use strands, so more threads
  // can be added later without touching them.
  boost::asio::io_context ioc(1);
  http::Listener listener(ioc, config.listen, make_router(started), http::HttpLimits{});

  // Installed before the startup line is printed: whoever reads that line may signal us at once,
  // and a signal before this point would kill us with the default action (no clean exit).
  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal_number) {
    if (ec) return;
    spdlog::info("received {}, stopping", ::strsignal(signal_number));
    listener.stop();
    // Requests are answered synchronously today, so nothing is left half-done when the loop
    // stops; open keep-alive connections are closed as their handlers are destroyed. When
    // long-running handlers arrive, drain them here before stopping.
    ioc.stop();
  });

  listener.start();
  auto bound = listener.local_address();
  // Plain stdout, not the logger: this line is the machine-readable contract (tests and scripts
  // parse the port when --listen asked for port 0), and stdout may be a pipe, hence the flush.
  std::printf("dbgcoord listening on http://%s (data: %s)\n", bound.to_string().c_str(), data_dir.c_str());
  std::fflush(stdout);

  ioc.run();
  spdlog::info("stopped");
  return kExitOk;
}

}  // namespace dbg::coord
