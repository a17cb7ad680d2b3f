#include "coordinator/app_shutdown.hpp"

#include <chrono>
#include <csignal>
#include <cstring>

#include "coordinator/app_services.hpp"
#include "coordinator/http/listener.hpp"
#include "coordinator/logging/log.hpp"
#include "coordinator/sd_notify.hpp"

namespace dbg::coord {

namespace {

constexpr auto kStopGrace = std::chrono::seconds(5);

}  // namespace

StopOnSignal::StopOnSignal(Services& s, http::Listener& listener)
    : signals_(s.ioc, SIGINT, SIGTERM), stop_guard_(s.ioc) {
  signals_.async_wait([this, &s, &listener](const boost::system::error_code& ec, int signal_number) {
    if (ec) return;
    DBG_LOG_INFO("received {}, stopping", ::strsignal(signal_number));
    sd_notify("STOPPING=1");  // systemd: the stop has begun (nothing without NOTIFY_SOCKET)
    auto& ioc = s.ioc;
    listener.stop();
    s.scheduler.shutdown([&ioc] { ioc.stop(); });
    s.pool.shutdown();
    s.watches.stop();
    // The clean stop: core_pattern back to exactly the value saved at install.
    s.crash.stop();
    s.watched_scan.stop();
    s.archiver.stop();
    s.budget.stop();
    stop_guard_.expires_after(kStopGrace);
    stop_guard_.async_wait([&ioc](const boost::system::error_code& e) {
      if (e) return;
      DBG_LOG_WARN("sessions not saved within {} s of the stop signal; stopping anyway", kStopGrace.count());
      ioc.stop();
    });
  });
}

void finish_after_stop(Services& s, std::vector<std::thread>& io_threads) {
  for (auto& t : io_threads) t.join();
  s.blocking.join();
  // Everything acknowledged is already committed; flush what was queued after that.
  s.store->flush();
}

}  // namespace dbg::coord
