// The data directory on a full file system: a small tmpfs mounted for the test (needs root or
// CAP_SYS_ADMIN; skipped with a message otherwise). With the disk full, writes get a clear
// answer (507 problem+json saying "disk full"), the database stays intact, and once space
// returns (the filler file deleted) writes succeed again without a restart.
#define BOOST_TEST_MODULE coordinator_disk_full
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/mount.h>

#include "fault_support.hpp"

using namespace dbg::coord::test;
using namespace dbg::coord::test::faults;
using dbg::test::ChildProcess;

namespace {

// A tmpfs of `size` on a fresh directory, unmounted (lazily, so a leftover open file cannot
// keep it) on destruction. mounted() is false when the mount was not permitted.
class TmpfsMount {
 public:
  explicit TmpfsMount(const std::string& size) {
    std::string options = "size=" + size + ",mode=0700";
    mounted_ = ::mount("tmpfs", dir_.path().c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~TmpfsMount() {
    if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  const std::filesystem::path& path() const { return dir_.path(); }

 private:
  TempDir dir_;  // declared first: it outlives the mount on it
  bool mounted_ = false;
  std::string error_;
};

// Writes zeros to `file` until the file system says ENOSPC; returns the bytes written.
size_t fill_up(const std::filesystem::path& file) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  BOOST_REQUIRE(fd >= 0);
  std::vector<char> chunk(64 << 10, 0);
  size_t total = 0;
  for (;;) {
    ssize_t n = ::write(fd, chunk.data(), chunk.size());
    if (n <= 0) break;
    total += static_cast<size_t>(n);
  }
  // The last few pages: smaller writes until not even one byte fits.
  for (size_t step = 4096; step > 0; step /= 2) {
    while (::write(fd, chunk.data(), step) > 0) total += step;
  }
  ::close(fd);
  return total;
}

json events_body(const std::string& tag, int n) {
  json body{{"events", json::array()}};
  for (int i = 0; i < n; ++i)
    body["events"].push_back(json{{"type", "std::bad_alloc"},
                                  {"message", tag + " " + std::to_string(i) + " " + std::string(200, 'x')},
                                  {"frames", json::array({json{{"function", "alloc_" + tag + std::to_string(i)},
                                                               {"module", "svc"}, {"offset", "0x10"}}})}});
  return body;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_full_disk_gets_clear_errors_no_corruption_and_recovery_when_space_returns) {
  TmpfsMount disk("8m");
  if (!disk.mounted()) {
    BOOST_TEST_MESSAGE("SKIPPED: cannot mount a tmpfs here (" << disk.error() << "); run as root to test a full disk");
    return;
  }
  auto target = ChildProcess(std::vector<std::string>{dbg::test::target_path("chain"), "2"});
  BOOST_REQUIRE(target.wait_for_line("ready", 10s));
  auto data = disk.path() / "data";
  Server server(data, {"--workers", "1"});
  std::string session_body =
      R"({"kind":"snapshot","targets":{"pids":[)" + std::to_string(target.pid()) + R"(]},"options":{"source":"none"}})";

  // Healthy first.
  auto before = server.request("POST", "/api/v1/errors/events", events_body("before", 20).dump());
  BOOST_REQUIRE_MESSAGE(before.status == 201, before.body);
  BOOST_TEST(server.wait_session(server.create_session(session_body)).at("status") == "done");

  auto filler = disk.path() / "filler";
  BOOST_TEST_MESSAGE("filler: " << fill_up(filler) << " bytes");

  // Full: every write is refused with 507 and a reason; none hangs (30 s reply deadline).
  int refused = 0;
  for (int i = 0; i < 5; ++i) {
    auto r = server.request("POST", "/api/v1/errors/events", events_body("full" + std::to_string(i), 50).dump());
    BOOST_TEST_INFO(r.status << " " << r.body);
    if (r.status == 201) continue;  // a write that fit in space SQLite had already reserved
    ++refused;
    BOOST_TEST(r.status == 507);
    BOOST_TEST(r.header("content-type") == "application/problem+json");
    BOOST_TEST(json::parse(r.body).at("detail").get<std::string>().find("disk full") != std::string::npos);
  }
  BOOST_TEST(refused > 0, "no write was refused on a full disk");
  // A session is refused (507), or accepted in space SQLite had reserved; then its end cannot be
  // committed either, and it shows "running" (never "done" before it is durable) until space
  // returns. It is checked after that.
  auto s = server.request("POST", "/api/v1/sessions", session_body);
  std::optional<std::string> accepted_while_full;
  if (s.status == 202) {
    accepted_while_full = json::parse(s.body).at("id").get<std::string>();
  } else {
    BOOST_TEST(s.status == 507, s.body);
    BOOST_TEST(json::parse(s.body).at("detail").get<std::string>().find("disk full") != std::string::npos, s.body);
  }
  // Reads still work, and the target was left running.
  BOOST_TEST(server.request("GET", "/api/v1/errors").status == 200);
  BOOST_TEST(eventually([&] { return released_and_running(target.pid()); }));
  {
    Db db(data / "dbgcoord.db");
    BOOST_TEST(db.integrity() == "ok");
  }

  // Space returns: writes succeed again, with no restart.
  std::filesystem::remove(filler);
  auto after = server.request("POST", "/api/v1/errors/events", events_body("after", 20).dump());
  BOOST_TEST(after.status == 201, after.body);
  BOOST_TEST(server.wait_session(server.create_session(session_body)).at("status") == "done");
  if (accepted_while_full) {
    auto ended = server.wait_session(*accepted_while_full);
    BOOST_TEST_INFO(ended.dump());
    auto t = Server::targets_of(ended).at(0);
    BOOST_TEST((t.at("status") == "done" || t.at("error").at("message").get<std::string>().find("disk full") != std::string::npos));
  }

  auto status = server.terminate();
  BOOST_REQUIRE(status);
  BOOST_TEST(exit_code_of(status) == 0);
  Db db(data / "dbgcoord.db");
  BOOST_TEST(db.integrity() == "ok");
  // What was acknowledged is there; what was refused is not.
  BOOST_TEST(db.integer("SELECT count(*) FROM error_events WHERE message LIKE 'before %'") == 20);
  BOOST_TEST(db.integer("SELECT count(*) FROM error_events WHERE message LIKE 'after %'") == 20);
}
