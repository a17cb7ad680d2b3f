#define BOOST_TEST_MODULE coordinator_sd_notify
#include <boost/test/unit_test.hpp>
// sd_notify without libsystemd: the datagram reaches a path and an abstract socket, nothing
// happens without NOTIFY_SOCKET, and the real dbgcoord says READY=1 once it serves (what
// Type=notify in packaging/dbgcoord.service waits for) and STOPPING=1 on SIGTERM.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "coordinator/sd_notify.hpp"
#include "coordinator_test_client.hpp"

using namespace dbg::coord::test;

namespace {

// A datagram socket bound to name ("/path" or "@abstract"), like systemd's notify socket.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& name) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    BOOST_REQUIRE(fd_ >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, name.data(), name.size());
    if (name[0] == '@') address.sun_path[0] = '\0';
    BOOST_REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address),
                         static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size())) == 0);
  }
  ~NotifySocket() { ::close(fd_); }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  std::optional<std::string> receive(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return std::nullopt;
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0) return std::nullopt;
    return std::string(buffer, static_cast<std::size_t>(n));
  }

 private:
  int fd_ = -1;
};

}  // namespace

BOOST_AUTO_TEST_CASE(sends_to_a_path_and_to_an_abstract_socket_and_nothing_without_the_variable) {
  TempDir dir;
  const std::string path = (dir.path() / "notify").string();
  NotifySocket socket(path);
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  BOOST_TEST(dbg::coord::sd_notify("READY=1"));
  BOOST_TEST(socket.receive(2000).value_or("") == "READY=1");

  const std::string abstract = "@dbgcoord-test-" + std::to_string(::getpid());
  NotifySocket abstract_socket(abstract);
  ::setenv("NOTIFY_SOCKET", abstract.c_str(), 1);
  BOOST_TEST(dbg::coord::sd_notify("STOPPING=1"));
  BOOST_TEST(abstract_socket.receive(2000).value_or("") == "STOPPING=1");

  ::setenv("NOTIFY_SOCKET", "relative/name", 1);
  BOOST_TEST(!dbg::coord::sd_notify("READY=1"));
  ::unsetenv("NOTIFY_SOCKET");
  BOOST_TEST(!dbg::coord::sd_notify("READY=1"));
}

BOOST_AUTO_TEST_CASE(dbgcoord_says_ready_once_it_serves_and_stopping_on_sigterm) {
  TempDir dir;
  const std::string path = (dir.path() / "notify").string();
  NotifySocket socket(path);
  auto c = start_coordinator({"--listen", "127.0.0.1:0", "--data-dir", (dir.path() / "data").string()},
                             {"NOTIFY_SOCKET=" + path});
  BOOST_TEST(socket.receive(10000).value_or("") == "READY=1");
  BOOST_TEST(http_request(c.port, "GET", "/healthz").status == 200);
  BOOST_REQUIRE(::kill(c.process.pid(), SIGTERM) == 0);
  BOOST_TEST(socket.receive(10000).value_or("") == "STOPPING=1");
  auto status = c.process.wait(std::chrono::seconds(20));
  BOOST_REQUIRE(status.has_value());
  BOOST_TEST(WIFEXITED(*status));
  BOOST_TEST(WEXITSTATUS(*status) == 0);
}
