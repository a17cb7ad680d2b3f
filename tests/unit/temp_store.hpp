#pragma once
// A Store on a database of its own in a temporary directory, removed afterwards: for unit tests
// of code that runs inside Store::write (row code, the outbox, scrape-time queries).
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <string>

#include "coordinator/store/store.hpp"

namespace dbg::coord::test {

struct TempStore {
  static inline int serial = 0;
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("dbg-unit-store-" + std::to_string(::getpid()) + "-" + std::to_string(++serial));
  std::unique_ptr<store::Store> store;

  TempStore() {
    std::filesystem::create_directories(dir);
    store = store::Store::open(dir / "dbgcoord.db");
  }
  ~TempStore() {
    store.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  TempStore(const TempStore&) = delete;
  TempStore& operator=(const TempStore&) = delete;

  // Runs the job as one write; the store's answer after COMMIT (or the rollback's error).
  dbg::Result<void> write(std::function<void(store::StatementCache&)> job) {
    std::promise<dbg::Result<void>> done;
    auto answer = done.get_future();
    store->write(std::move(job), [&done](dbg::Result<void> r) { done.set_value(std::move(r)); });
    return answer.get();
  }
};

}  // namespace dbg::coord::test
