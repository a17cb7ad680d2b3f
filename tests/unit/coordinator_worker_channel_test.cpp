// pool::WorkerChannel against real children over real pipes: /bin/sh running a small script
// per case plays the worker, so each case controls exactly what comes back and when.
#define BOOST_TEST_MODULE coordinator_worker_channel
#include <boost/test/unit_test.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/strand.hpp>

#include "coordinator/pool/worker_channel.hpp"
#include "coordinator_pool_test_support.hpp"
#include "dbg/protocol.hpp"

namespace pool = dbg::coord::pool;
using nlohmann::json;

namespace {

using dbg::test::IgnoreSigpipe;
BOOST_TEST_GLOBAL_FIXTURE(IgnoreSigpipe);

// Shell helpers every script starts with: id_of LINE prints the request's id.
const std::string kPrelude = R"sh(id_of() { printf '%s' "$1" | sed 's/.*"id":"\([^"]*\)".*/\1/'; }
)sh";

// One case: a script for /bin/sh, the channel running it, what the channel reported.
struct Fixture {
  boost::asio::io_context ioc;
  boost::asio::any_io_executor strand = boost::asio::make_strand(ioc);
  std::unique_ptr<dbg::test::ScriptFile> script;
  std::shared_ptr<pool::WorkerChannel> channel;
  std::vector<json> events;
  std::vector<std::string> exits;

  ~Fixture() { channel.reset(); }  // kills the child if it still runs

  void open(const std::string& script_text, bool kill_on_unreadable = true) {
    script = std::make_unique<dbg::test::ScriptFile>(kPrelude + script_text, false);
    channel = pool::WorkerChannel::open(
        ioc, strand, {"/bin/sh", script->path(), "t", kill_on_unreadable},
        [this](const json& line) { events.push_back(line); },
        [this](const std::string& reason) {
          exits.push_back(reason);
          return dbg::Error{"test_worker_gone", "ended: " + reason};
        });
  }

  template <typename Pred>
  void run_until(Pred done) {
    dbg::test::run_until(ioc, done);
  }
};

pool::WorkerChannel::Request request(json body, std::optional<dbg::Result<json>>& slot) {
  pool::WorkerChannel::Request r;
  r.body = std::move(body);
  r.on_reply = [&slot](dbg::Result<json> answer) { slot = std::move(answer); };
  return r;
}

}  // namespace

BOOST_AUTO_TEST_CASE(channel_answers_out_of_order_reach_their_own_requests) {
  Fixture f;
  f.open(R"sh(read a; read b
printf '{"v":1,"id":"%s","type":"result","result":{"n":"second"}}\n' "$(id_of "$b")"
printf '{"v":1,"id":"%s","type":"result","result":{"n":"first"}}\n' "$(id_of "$a")"
read wait_for_close
)sh");
  std::optional<dbg::Result<json>> first, second;
  std::vector<std::string> order;
  auto r1 = request({{"kind", "one"}}, first);
  r1.on_reply = [&](dbg::Result<json> a) { first = a; order.push_back("first"); };
  auto r2 = request({{"kind", "two"}}, second);
  r2.on_reply = [&](dbg::Result<json> a) { second = a; order.push_back("second"); };
  std::string id1 = f.channel->send(std::move(r1));
  std::string id2 = f.channel->send(std::move(r2));
  BOOST_TEST(id1 != id2);
  BOOST_TEST(f.channel->pending() == 2u);
  f.run_until([&] { return first && second; });
  BOOST_REQUIRE(*first);
  BOOST_REQUIRE(*second);
  BOOST_TEST(first->value().at("n") == "first");
  BOOST_TEST(second->value().at("n") == "second");
  BOOST_TEST((order == std::vector<std::string>{"second", "first"}));
  BOOST_TEST(f.channel->pending() == 0u);
  BOOST_TEST(f.channel->alive());
}

BOOST_AUTO_TEST_CASE(channel_fails_every_waiting_request_once_when_the_worker_exits) {
  Fixture f;
  f.open("read a; read b; exit 3\n");
  std::optional<dbg::Result<json>> first, second;
  f.channel->send(request({{"kind", "one"}}, first));
  f.channel->send(request({{"kind", "two"}}, second));
  f.run_until([&] { return first && second; });
  for (auto* answer : {&first, &second}) {
    BOOST_REQUIRE(!**answer);
    BOOST_TEST((*answer)->error().code == "test_worker_gone");
  }
  BOOST_REQUIRE(f.exits.size() == 1u);
  BOOST_TEST(first->error().message == "ended: " + f.exits[0]);
  BOOST_TEST(!f.channel->alive());
  // Later requests fail at once, with the same error, and nothing is written.
  std::optional<dbg::Result<json>> late;
  f.channel->send(request({{"kind", "three"}}, late));
  BOOST_REQUIRE(late.has_value());
  BOOST_REQUIRE(!*late);
  BOOST_TEST(late->error().code == "test_worker_gone");
  BOOST_TEST(f.exits.size() == 1u);
}

BOOST_AUTO_TEST_CASE(channel_kills_a_worker_whose_line_is_nested_too_deep) {
  Fixture f;
  f.open(R"sh(read a
s=''; i=0; while [ $i -lt 300 ]; do s="$s["; i=$((i+1)); done
printf '%s\n' "$s"
read wait_for_close
)sh");
  std::optional<dbg::Result<json>> answer;
  f.channel->send(request({{"kind", "one"}}, answer));
  f.run_until([&] { return answer.has_value(); });
  BOOST_REQUIRE(!*answer);
  BOOST_TEST(answer->error().code == "test_worker_gone");
  BOOST_REQUIRE(f.exits.size() == 1u);
  BOOST_TEST(f.exits[0].find("worker_protocol_error") != std::string::npos, f.exits[0]);
  BOOST_TEST(f.exits[0].find("nested deeper than " + std::to_string(pool::kMaxLineDepth)) != std::string::npos,
             f.exits[0]);
}

BOOST_AUTO_TEST_CASE(channel_kills_a_worker_that_writes_an_oversized_line) {
  Fixture f;
  f.open(R"sh(read a
head -c 69000000 /dev/zero | tr '\000' x
echo
read wait_for_close
)sh");
  std::optional<dbg::Result<json>> answer;
  f.channel->send(request({{"kind", "one"}}, answer));
  f.run_until([&] { return answer.has_value(); });
  BOOST_REQUIRE(!*answer);
  BOOST_REQUIRE(f.exits.size() == 1u);
  BOOST_TEST(f.exits[0].find("over 64 MiB") != std::string::npos, f.exits[0]);
}

BOOST_AUTO_TEST_CASE(channel_told_to_skip_unreadable_lines_keeps_the_worker_and_its_requests) {
  Fixture f;
  f.open(R"sh(read a
echo 'not json at all'
echo '[1, 2]'
printf '{"v":1,"id":"%s","type":"result","result":{"ok":true}}\n' "$(id_of "$a")"
read wait_for_close
)sh",
         /*kill_on_unreadable=*/false);
  std::optional<dbg::Result<json>> answer;
  f.channel->send(request({{"kind", "one"}}, answer));
  f.run_until([&] { return answer.has_value(); });
  BOOST_REQUIRE(*answer);
  BOOST_TEST(answer->value().at("ok") == true);
  BOOST_TEST(f.exits.empty());
  BOOST_TEST(f.events.empty());
  BOOST_TEST(f.channel->alive());
}

BOOST_AUTO_TEST_CASE(channel_routes_events_progress_errors_and_drops_stale_answers) {
  Fixture f;
  f.open(R"sh(read a; read b; read c
printf '{"v":1,"type":"hello","worker_pid":1}\n'
printf '{"v":1,"id":"nobody-waits","type":"result","result":{}}\n'
printf '{"v":1,"id":"%s","type":"progress","progress":{"pct":50}}\n' "$(id_of "$a")"
printf '{"v":1,"id":"%s","type":"result","result":{"done":1}}\n' "$(id_of "$a")"
printf '{"v":1,"id":"%s","type":"error","error":{"code":"process_gone","message":"no such process"}}\n' "$(id_of "$b")"
printf '{"v":1,"id":"%s","type":"surprise"}\n' "$(id_of "$c")"
read wait_for_close
)sh");
  std::optional<dbg::Result<json>> a, b, c;
  std::vector<json> progress;
  auto ra = request({{"kind", "profile"}}, a);
  ra.on_progress = [&](const json& p) { progress.push_back(p); };
  f.channel->send(std::move(ra));
  f.channel->send(request({{"kind", "two"}}, b));
  f.channel->send(request({{"kind", "three"}}, c));
  f.run_until([&] { return a && b && c; });
  BOOST_REQUIRE(*a);
  BOOST_TEST(a->value().at("done") == 1);
  BOOST_REQUIRE(progress.size() == 1u);
  BOOST_TEST(progress[0].at("pct") == 50);
  BOOST_REQUIRE(!*b);
  BOOST_TEST(b->error().code == "process_gone");
  BOOST_TEST(b->error().message == "no such process");
  BOOST_REQUIRE(!*c);
  BOOST_TEST(c->error().code == "worker_protocol_error");
  // Only the hello is an event: the stale answer went nowhere.
  BOOST_REQUIRE(f.events.size() == 1u);
  BOOST_TEST(f.events[0].at("type") == "hello");
  BOOST_TEST(f.exits.empty());
}

BOOST_AUTO_TEST_CASE(channel_hands_a_result_in_the_exact_envelope_over_unparsed) {
  Fixture f;
  // The first answer is written in protocol::result_line_prefix's envelope (key order and all),
  // the second one is not: both reach the raw reply as the result's JSON text.
  std::string v = std::to_string(dbg::protocol::kVersion);
  f.open("read a; read b\n"
         "printf '{\"v\":" + v + ",\"id\":\"%s\",\"type\":\"result\",\"result\":{\"b\": [1,2]}}\\n' \"$(id_of \"$a\")\"\n"
         "printf '{\"type\":\"result\",\"id\":\"%s\",\"result\":{\"b\": [3]}}\\n' \"$(id_of \"$b\")\"\n"
         "read wait_for_close\n");
  std::optional<dbg::Result<std::string>> exact, reordered;
  pool::WorkerChannel::Request ra, rb;
  ra.body = {{"kind", "snapshot"}};
  ra.on_raw_reply = [&](dbg::Result<std::string> r) { exact = std::move(r); };
  rb.body = {{"kind", "snapshot"}};
  rb.on_raw_reply = [&](dbg::Result<std::string> r) { reordered = std::move(r); };
  f.channel->send(std::move(ra));
  f.channel->send(std::move(rb));
  f.run_until([&] { return exact && reordered; });
  BOOST_REQUIRE(*exact);
  BOOST_TEST(exact->value() == "{\"b\": [1,2]}");  // byte for byte: never parsed
  BOOST_REQUIRE(*reordered);
  BOOST_TEST(reordered->value() == "{\"b\":[3]}");  // parsed, then dumped
}
