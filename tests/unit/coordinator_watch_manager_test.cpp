// watch::WatchManager against a fake `dbg-worker watch`: a shell script speaking the watcher's
// JSON-lines protocol (worker/watch/watch_protocol.hpp) that logs every request it receives,
// with its own pid, to a file. A real temporary store, a real hub, a real target policy, and
// real `sleep` processes as targets (the fake never traces them). Marker files in the fake's
// directory choose what it does after answering a watch_add: report a crash of the pid, or die
// (once). The test runs the io_context itself until a condition holds; nothing is timed.
#define BOOST_TEST_MODULE coordinator_watch_manager
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "coordinator/events/hub.hpp"
#include "coordinator/policy/target_policy.hpp"
#include "coordinator/store/store.hpp"
#include "coordinator/watch/watch_manager.hpp"
#include "coordinator/watch/watch_rows.hpp"
#include "coordinator_pool_test_support.hpp"
#include "test_support.hpp"
#include "tests/integration/coordinator_test_client.hpp"

using namespace dbg;
using namespace dbg::coord;
using nlohmann::json;

namespace {

using dbg::test::IgnoreSigpipe;
BOOST_TEST_GLOBAL_FIXTURE(IgnoreSigpipe);

// @DIR@ is replaced by the fixture's temporary directory.
const char* kFakeWatcher = R"sh(#!/bin/sh
dir='@DIR@'
field() { printf '%s' "$2" | sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"; }
printf '{"v":1,"type":"hello","worker_pid":%d,"version":"0.1.0"}\n' $$
while read line; do
  printf '%d %s\n' $$ "$line" >> "$dir/received"
  id=$(field id "$line")
  pid=$(field pid "$line")
  case "$(field kind "$line")" in
    watch_add)
      printf '{"v":1,"id":"%s","type":"result","result":{"pid":%d,"threads":1,"comm":"sleep"}}\n' "$id" "$pid"
      if [ -e "$dir/crash_after_add" ]; then
        printf '{"v":1,"type":"crash","pid":%d,"context":{"type":"SIGSEGV/SEGV_MAPERR","signal":11,"message":"fake segfault","comm":"sleep","timestamp_ms":1700000000000,"pid":%d,"fault":{"address":"0x0","class":"null_page","mapping":null},"threads":[{"tid":%d,"crashing":true,"frames":[{"pc":"0x401000","function":"crash_here","module":"sleep","offset":"0x1000"}]}]}}\n' "$pid" "$pid" "$pid"
        printf '{"v":1,"type":"watch_ended","pid":%d,"reason":"crashed","signal":11}\n' "$pid"
      fi
      if [ -e "$dir/die_after_add" ]; then rm "$dir/die_after_add"; exit 1; fi ;;
    watch_remove)
      printf '{"v":1,"id":"%s","type":"result","result":{"pid":%d,"released":true}}\n' "$id" "$pid" ;;
    *)
      printf '{"v":1,"id":"%s","type":"error","error":{"code":"bad_request","message":"unknown kind"}}\n' "$id" ;;
  esac
done
)sh";

// A real process to watch (the fake never traces it), killed and reaped with the object.
dbg::test::ChildProcess sleeping_process() { return dbg::test::ChildProcess({"/bin/sleep", "30"}); }

// Every event published, parsed.
class EventLog : public events::Subscriber {
 public:
  void deliver(std::shared_ptr<const std::string> message) override { events.push_back(json::parse(*message)); }
  bool wants(std::string_view) const override { return true; }
  std::vector<json> of(const std::string& topic, const std::string& type) const {
    std::vector<json> out;
    for (const auto& e : events)
      if (e.at("topic") == topic && e.at("type") == type) out.push_back(e.at("data"));
    return out;
  }
  std::vector<json> events;
};

// One request the fake received, and the pid of the fake that received it.
struct Received {
  int watcher_pid;
  json request;
};

std::string fake_watcher_text(const std::filesystem::path& dir) {
  std::string text = kFakeWatcher;
  text.replace(text.find("@DIR@"), 5, dir.string());
  return text;
}

struct Fixture {
  Fixture() : store(store::Store::open(dir.path() / "test.db")) {
    hub.subscribe(log);
    watch::WatchManagerConfig config;
    config.watcher_executable = watcher.path();
    config.restart_delay_ms = 10;
    manager = std::make_unique<watch::WatchManager>(ioc, ioc.get_executor(), config, policy, *store, hub,
                                                    [this](errors::ErrorEvent e) { recorded.push_back(std::move(e)); });
    manager->start();
  }
  ~Fixture() {
    manager.reset();
    ioc.restart();
    ioc.poll();
    store->flush();
  }

  // Runs handlers until `done` holds. The /proc scan timer always has work pending, so the
  // bound only turns a broken case into a failure instead of a hang.
  template <typename Pred>
  void run_until(Pred done, const char* what) {
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!done()) {
      ioc.restart();
      ioc.run_one_for(std::chrono::milliseconds(100));
      if (std::chrono::steady_clock::now() > give_up) BOOST_FAIL(std::string("never happened: ") + what);
    }
  }

  Result<json> call(const std::function<void(watch::WatchManager::JsonDone)>& start) {
    std::optional<Result<json>> answer;
    start([&](Result<json> r) { answer = std::move(r); });
    run_until([&] { return answer.has_value(); }, "an answer");
    return std::move(*answer);
  }
  Result<json> create_pid(int pid) {
    watch::WatchRequest request;
    request.pid = pid;
    return call([&](watch::WatchManager::JsonDone done) { manager->create(request, std::move(done)); });
  }
  json get(const std::string& id) {
    auto r = call([&](watch::WatchManager::JsonDone done) { manager->get(id, std::move(done)); });
    BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    return r.value();
  }
  json list() {
    std::optional<json> answer;
    manager->list([&](json j) { answer = std::move(j); });
    run_until([&] { return answer.has_value(); }, "the list");
    return *answer;
  }
  std::vector<watch::WatchRow> stored_rows() {
    std::vector<watch::WatchRow> rows;
    store->read([&](store::StatementCache& sql) { rows = watch::select_watches(sql); });
    store->flush();
    return rows;
  }

  // The requests the fake(s) received so far, in order, across restarts.
  std::vector<Received> received() const {
    std::vector<Received> out;
    std::ifstream in(dir.path() / "received");
    std::string line;
    while (std::getline(in, line)) {
      auto space = line.find(' ');
      out.push_back({std::stoi(line.substr(0, space)), json::parse(line.substr(space + 1))});
    }
    return out;
  }
  std::vector<Received> received(const std::string& kind) const {
    std::vector<Received> out;
    for (auto& r : received())
      if (r.request.at("kind") == kind) out.push_back(r);
    return out;
  }
  void mark(const std::string& name) const { std::ofstream(dir.path() / name) << "1"; }

  coord::test::TempDir dir;
  dbg::test::ScriptFile watcher{fake_watcher_text(dir.path()), /*executable=*/true};
  boost::asio::io_context ioc;
  std::unique_ptr<store::Store> store;
  events::Hub hub;
  std::shared_ptr<EventLog> log = std::make_shared<EventLog>();
  policy::TargetPolicy policy{policy::PolicyConfig{}, static_cast<int>(::getpid())};
  std::vector<errors::ErrorEvent> recorded;
  std::unique_ptr<watch::WatchManager> manager;
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_pid_watch_is_created_persisted_listed_and_deleted, Fixture) {
  auto target = sleeping_process();
  auto created = create_pid(target.pid());
  BOOST_REQUIRE_MESSAGE(created.ok(), (created.ok() ? "" : created.error().message));
  const json& w = created.value();
  std::string id = w.at("id");
  BOOST_TEST(w.at("status") == "active");
  BOOST_TEST(w.at("pid") == target.pid());
  BOOST_TEST(w.at("pids") == json::array({target.pid()}));
  BOOST_TEST(w.at("crashes") == 0);
  BOOST_TEST(manager->watcher_pid() > 0);

  // The watcher was asked to seize exactly that pid, with the default (empty) options.
  auto adds = received("watch_add");
  BOOST_REQUIRE(adds.size() == 1u);
  BOOST_TEST(adds[0].request.at("pid") == target.pid());
  BOOST_TEST(adds[0].watcher_pid == manager->watcher_pid());
  BOOST_TEST(log->of("watch", "watch_created").size() == 1u);

  auto rows = stored_rows();
  BOOST_REQUIRE(rows.size() == 1u);
  BOOST_TEST(rows[0].id == id);
  BOOST_TEST(rows[0].kind == "pid");
  BOOST_TEST(rows[0].status == "active");
  BOOST_TEST(rows[0].body.at("pid") == target.pid());

  auto listed = list();
  BOOST_REQUIRE(listed.at("watches").size() == 1u);
  BOOST_TEST(listed.at("watches")[0].at("id") == id);
  BOOST_TEST(listed.at("watcher_pid") == manager->watcher_pid());
  BOOST_TEST(get(id).at("pid") == target.pid());

  // The same process twice is a conflict, and the watcher is not asked again.
  auto twice = create_pid(target.pid());
  BOOST_REQUIRE(!twice.ok());
  BOOST_TEST(twice.error().code == "conflict");
  BOOST_TEST(received("watch_add").size() == 1u);

  auto removed = call([&](watch::WatchManager::JsonDone done) { manager->remove(id, std::move(done)); });
  BOOST_REQUIRE_MESSAGE(removed.ok(), (removed.ok() ? "" : removed.error().message));
  BOOST_TEST(removed.value().at("status") == "deleted");
  run_until([&] { return !received("watch_remove").empty(); }, "the fake receives watch_remove");
  BOOST_TEST(received("watch_remove")[0].request.at("pid") == target.pid());
  BOOST_TEST(log->of("watch", "watch_deleted").size() == 1u);
  BOOST_TEST(stored_rows().empty());
  BOOST_TEST(list().at("watches").empty());
  auto gone = call([&](watch::WatchManager::JsonDone done) { manager->get(id, std::move(done)); });
  BOOST_REQUIRE(!gone.ok());
  BOOST_TEST(gone.error().code == "not_found");
}

BOOST_FIXTURE_TEST_CASE(a_crash_line_becomes_an_error_event_a_hub_event_and_ends_the_pid_watch, Fixture) {
  auto target = sleeping_process();
  mark("crash_after_add");
  auto created = create_pid(target.pid());
  BOOST_REQUIRE_MESSAGE(created.ok(), (created.ok() ? "" : created.error().message));
  std::string id = created.value().at("id");
  run_until([&] { return !log->of("watch", "watch_ended").empty(); }, "watch_ended on the hub");

  BOOST_REQUIRE(recorded.size() == 1u);
  const auto& e = recorded[0];
  BOOST_TEST(e.source == "watch");
  BOOST_TEST(e.kind == "crash");
  BOOST_TEST(e.type == "SIGSEGV/SEGV_MAPERR");
  BOOST_TEST(e.message == "fake segfault");
  BOOST_TEST(e.pid == target.pid());
  BOOST_TEST(e.timestamp_ms == 1700000000000);
  BOOST_REQUIRE(e.frames.size() == 1u);
  BOOST_TEST(e.frames[0].function.value_or("") == "crash_here");
  BOOST_TEST(e.context.at("watch_id") == id);

  auto crashes = log->of("watch", "crash");
  BOOST_REQUIRE(crashes.size() == 1u);
  BOOST_TEST(crashes[0].at("watch_id") == id);
  BOOST_TEST(crashes[0].at("pid") == target.pid());
  BOOST_TEST(crashes[0].at("type") == "SIGSEGV/SEGV_MAPERR");
  BOOST_TEST(crashes[0].at("frames").size() == 1u);
  auto ended = log->of("watch", "watch_ended");
  BOOST_TEST(ended[0].at("watch_id") == id);
  BOOST_TEST(ended[0].at("reason") == "crashed");

  // A pid watch ends with its process: status, reason and the crash are kept, in the store too.
  auto w = get(id);
  BOOST_TEST(w.at("status") == "ended");
  BOOST_TEST(w.at("ended_reason") == "crashed");
  BOOST_TEST(w.at("crashes") == 1);
  BOOST_TEST(w.at("pids").empty());
  BOOST_TEST(w.at("last_event").at("type") == "SIGSEGV/SEGV_MAPERR");
  auto rows = stored_rows();
  BOOST_REQUIRE(rows.size() == 1u);
  BOOST_TEST(rows[0].status == "ended");
  BOOST_TEST(rows[0].body.at("crashes") == 1);
  // Ended: the pid is free to be watched again.
  std::vector<int> watched{-1};
  manager->watched_pids([&](std::vector<int> pids) { watched = std::move(pids); });
  run_until([&] { return watched != std::vector<int>{-1}; }, "the watched pids");
  BOOST_TEST(watched.empty());
}

BOOST_FIXTURE_TEST_CASE(a_dead_watcher_is_replaced_and_given_the_live_watches_again, Fixture) {
  auto target = sleeping_process();
  mark("die_after_add");  // the first fake answers the watch_add, then exits 1
  auto created = create_pid(target.pid());
  BOOST_REQUIRE_MESSAGE(created.ok(), (created.ok() ? "" : created.error().message));
  std::string id = created.value().at("id");
  run_until([&] { return !log->of("watch", "watch_attached").empty(); }, "the pid re-attached");

  auto adds = received("watch_add");
  BOOST_REQUIRE(adds.size() == 2u);
  BOOST_TEST(adds[0].request.at("pid") == target.pid());
  BOOST_TEST(adds[1].request.at("pid") == target.pid());
  BOOST_TEST(adds[0].watcher_pid != adds[1].watcher_pid);
  BOOST_TEST(manager->watcher_pid() == adds[1].watcher_pid);

  BOOST_TEST(log->of("worker", "watcher_exited").size() == 1u);
  auto restarted = log->of("watch", "watcher_restarted");
  BOOST_REQUIRE(restarted.size() == 1u);
  BOOST_TEST(restarted[0].at("rewatched") == 1);
  BOOST_TEST(restarted[0].at("worker_pid") == adds[1].watcher_pid);
  auto attached = log->of("watch", "watch_attached");
  BOOST_TEST(attached[0].at("watch_id") == id);
  BOOST_TEST(attached[0].at("pid") == target.pid());

  auto w = get(id);
  BOOST_TEST(w.at("status") == "active");
  BOOST_TEST(w.at("pids") == json::array({target.pid()}));
}

BOOST_FIXTURE_TEST_CASE(the_policy_refuses_pid_1_and_the_coordinator_before_the_watcher_hears_of_them, Fixture) {
  auto init = create_pid(1);
  BOOST_REQUIRE(!init.ok());
  BOOST_TEST(init.error().code == "forbidden");
  BOOST_TEST(init.error().message.find("pid_1") != std::string::npos, init.error().message);

  auto self = create_pid(static_cast<int>(::getpid()));
  BOOST_REQUIRE(!self.ok());
  BOOST_TEST(self.error().code == "forbidden");
  BOOST_TEST(self.error().message.find("coordinator") != std::string::npos, self.error().message);

  // No watcher was even started, nothing was sent, nothing stored or listed.
  BOOST_TEST(manager->watcher_pid() == 0);
  BOOST_TEST(!std::filesystem::exists(dir.path() / "received"));
  BOOST_TEST(stored_rows().empty());
  BOOST_TEST(list().at("watches").empty());
  BOOST_TEST(log->of("watch", "watch_created").empty());
}
