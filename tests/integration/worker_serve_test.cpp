// `dbg-worker serve`: the JSON-lines protocol, its errors, and the per-build-id caches that
// make a second process running the same binary cheap.
#define BOOST_TEST_MODULE worker_serve
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include "worker_fixture.hpp"

using namespace dbg::test;

namespace {

struct Worker {
  ChildProcess process{{bin_path("dbg-worker"), "serve"}};
  Worker() {
    auto hello = process.read_line(std::chrono::seconds(10));
    BOOST_REQUIRE(hello);
    auto j = nlohmann::json::parse(*hello);
    BOOST_TEST(j.at("type") == "hello");
    BOOST_TEST(j.at("v") == 1);
    BOOST_TEST(j.at("worker_pid") == process.pid());
  }
  nlohmann::json ask(const std::string& line) {
    BOOST_REQUIRE(process.write_stdin(line + "\n"));
    auto answer = process.read_line(std::chrono::seconds(30));
    BOOST_REQUIRE_MESSAGE(answer, "no answer to " << line);
    return nlohmann::json::parse(*answer);
  }
};

std::string snapshot_request(const std::string& id, pid_t pid, const std::string& options = "{}") {
  return R"({"v":1,"id":")" + id + R"(","kind":"snapshot","pid":)" + std::to_string(pid) + R"(,"options":)" + options + "}";
}

}  // namespace

BOOST_AUTO_TEST_CASE(second_process_of_the_same_binary_is_served_from_the_caches) {
  auto first = start_target("cpp_target", {"3"});
  auto second = start_target("cpp_target", {"3"});
  Worker w;
  auto a = w.ask(snapshot_request("a", first.pid()));
  BOOST_REQUIRE(a.at("type") == "result");
  BOOST_TEST(a.at("id") == "a");
  BOOST_TEST(a.at("result").at("cache").at("module_misses").get<int>() > 0);
  BOOST_TEST(a.at("result").at("cache").at("symbol_misses").get<int>() > 0);
  auto b = w.ask(snapshot_request("b", second.pid()));
  BOOST_REQUIRE(b.at("type") == "result");
  const auto& cache = b.at("result").at("cache");
  // Same executable and libraries: every ELF comes from the cache, and so do the symbols
  // (the threads of both processes sit at the same offsets).
  BOOST_TEST(cache.at("module_hits").get<int>() > 0);
  BOOST_TEST(cache.at("module_misses").get<int>() == 0);
  BOOST_TEST(cache.at("symbol_hits").get<int>() > 0);
  BOOST_TEST(cache.at("symbol_misses").get<int>() == 0);
  // And the answer is the same, frame for frame, as from a cold worker.
  auto cold = snapshot_json(second.pid());
  for (size_t i = 0; i < cold.at("threads").size(); ++i)
    BOOST_TEST(all_function_names(cold.at("threads").at(i)) ==
               all_function_names(b.at("result").at("threads").at(i)), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(protocol_errors_are_answered_and_the_worker_goes_on) {
  auto target = start_target("chain", {"2"});
  Worker w;
  auto pong = w.ask(R"({"v":1,"id":"p","kind":"ping"})");
  BOOST_TEST(pong.at("type") == "pong");
  BOOST_TEST(pong.at("id") == "p");

  struct Case {
    std::string line, id, says;
  } cases[] = {
      {"not json", "", "malformed JSON"},
      {R"([1,2])", "", "object"},
      {R"({"v":2,"id":"x","kind":"ping"})", "x", "version"},
      {R"({"v":1,"kind":"ping"})", "", "id"},
      {R"({"v":1,"id":"k","kind":"explode"})", "k", "unknown kind"},
      {R"({"v":1,"id":"q","kind":"snapshot","pid":"12"})", "q", "pid"},
      {R"({"v":1,"id":"q","kind":"snapshot","pid":-3})", "q", "pid"},
      {snapshot_request("o", target.pid(), R"({"max_depth":100000})"), "o", "max_depth"},
      {snapshot_request("o", target.pid(), R"({"colour":"red"})"), "o", "unknown snapshot option"},
      {R"({"v":1,"id":"d","kind":"snapshot","pid":1,"options":)" + std::string(40, '[') + std::string(40, ']') + "}", "",
       "nested"},
  };
  for (const auto& c : cases) {
    auto r = w.ask(c.line);
    BOOST_TEST_INFO(c.line << " -> " << r.dump());
    BOOST_TEST(r.at("type") == "error");
    BOOST_TEST(r.at("error").at("code") == "bad_request");
    BOOST_TEST(r.at("error").at("message").get<std::string>().find(c.says) != std::string::npos);
    if (!c.id.empty()) BOOST_TEST(r.at("id") == c.id);
  }
  auto gone = w.ask(snapshot_request("g", 999999999));
  BOOST_TEST(gone.at("error").at("code") == "process_gone");
  auto self = w.ask(snapshot_request("s", w.process.pid()));
  BOOST_TEST(self.at("error").at("code") == "permission_denied");
  // Still serving after all that.
  auto ok = w.ask(snapshot_request("ok", target.pid()));
  BOOST_TEST(ok.at("type") == "result");
  BOOST_TEST(ok.at("result").at("threads").size() == 2u);
  w.process.close_stdin();
  auto status = w.process.wait(std::chrono::seconds(10));
  BOOST_REQUIRE(status);
  BOOST_TEST(WIFEXITED(*status));
  BOOST_TEST(WEXITSTATUS(*status) == 0);
}
