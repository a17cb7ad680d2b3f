// crash_corpus_cxx MODE: the classifier corpus's C++ crash programs (see crash_corpus.c for the
// protocol). Uncaught exceptions of several kinds and paths (std::terminate after unwinding, a
// throw through noexcept, a throw in a std::thread), plus C++ crashes of other classes, so that
// "a C++ program" is not mistaken for "an uncaught exception".
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#define NOINLINE __attribute__((noinline))

volatile long sink;
static volatile std::size_t huge = static_cast<std::size_t>(1) << 62;

namespace billing {

struct LedgerError {
  int code;
  const char* reason;
};

class Account {
 public:
  NOINLINE long balance() const { return balance_; }
  long balance_ = 0;
};

NOINLINE void reconcile(int entries) {
  if (entries > 0) throw std::runtime_error("ledger out of balance");
}
NOINLINE long item_at(const std::vector<long>& items, std::size_t i) { return items.at(i); }
NOINLINE void post_entry(int code) {
  if (code != 0) throw LedgerError{code, "duplicate entry"};
}
NOINLINE void fail_with_code(int code) {
  if (code) throw code;
}
NOINLINE void reserve_huge() {
  std::vector<char> v;
  v.reserve(huge);
  sink = static_cast<long>(v.capacity());
}
NOINLINE void parse_config(const std::string& text) {
  if (text.empty()) throw std::invalid_argument("config: empty document");
}
NOINLINE void flush_journal() noexcept {
  // A throw escaping a noexcept function: std::terminate without unwinding.
  reconcile(1);
}
NOINLINE long lookup(const std::map<std::string, long>& m, const std::string& k) { return m.at(k); }
NOINLINE long read_account(const Account* a) { return a->balance(); }
NOINLINE void stop_everything() { std::terminate(); }

}  // namespace billing

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: crash_corpus_cxx MODE\n");
    return 2;
  }
  std::string mode = argv[1];
  std::thread idle([] {
    for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
  });
  idle.detach();
  std::printf("ready\n");
  std::fflush(stdout);
  std::string line;
  if (!std::getline(std::cin, line)) return 4;
  std::vector<long> items{1, 2, 3};
  std::map<std::string, long> prices{{"apple", 3}};
  if (mode == "throw_runtime") {
    billing::reconcile(3);
  } else if (mode == "throw_out_of_range") {
    sink = billing::item_at(items, 7);
  } else if (mode == "throw_custom") {
    billing::post_entry(17);
  } else if (mode == "throw_int") {
    billing::fail_with_code(42);
  } else if (mode == "throw_bad_alloc") {
    billing::reserve_huge();
  } else if (mode == "throw_invalid_argument") {
    billing::parse_config("");
  } else if (mode == "throw_noexcept") {
    billing::flush_journal();
  } else if (mode == "throw_map_at") {
    sink = billing::lookup(prices, "pear");
  } else if (mode == "throw_thread") {
    std::thread t([] { billing::reconcile(2); });
    t.join();
  } else if (mode == "cxx_null_member") {
    sink = billing::read_account(nullptr);
  } else if (mode == "cxx_terminate") {
    billing::stop_everything();
  } else if (mode == "cxx_abort") {
    std::abort();
  } else {
    std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
    return 2;
  }
  return 5;
}
