// cpp_target THREADS [BUSY]: C++ call chains through namespaces, a class template, a lambda and
// std::thread; every thread ends waiting on a condition variable. Prints "ready" when all wait.
// BUSY (default 0) more threads never wait: they spin in app::engine::burn_cpu, the target of a
// busy host (bench/run_snapshot_bench.sh --host saturated).
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace app::engine {

std::mutex mutex;
std::condition_variable never;
std::atomic<int> waiting{0};

// Always inlined into its caller: its frame must show up as an inlined frame.
inline __attribute__((always_inline)) void park_forever(std::unique_lock<std::mutex>& lock) {
  for (;;) never.wait(lock);
}

template <typename T>
class Pipeline {
 public:
  explicit Pipeline(T seed) : seed_(seed) {}
  __attribute__((noinline)) void stage_two(T value) {
    std::unique_lock<std::mutex> lock(mutex);
    waiting.fetch_add(1);
    park_forever(lock);
    seed_ += value;
  }
  __attribute__((noinline)) void stage_one(T value) {
    stage_two(value + seed_);
    asm volatile("");
  }

 private:
  T seed_;
};

}  // namespace app::engine

namespace app::engine {

__attribute__((noinline)) void burn_cpu() {
  volatile unsigned long x = 0;
  for (;;) x = x * 6364136223846793005ul + 1;
}

}  // namespace app::engine

int main(int argc, char** argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : 4;
  int busy = argc > 2 ? std::atoi(argv[2]) : 0;
  if (threads < 1 || threads > 1000 || busy < 0 || busy > 64) return 2;
  std::vector<std::thread> pool;
  for (int i = 0; i < busy; ++i) std::thread(app::engine::burn_cpu).detach();
  for (int i = 0; i < threads - 1; ++i) {
    pool.emplace_back([i]() __attribute__((noinline)) {
      app::engine::Pipeline<int> pipeline(i);
      pipeline.stage_one(i);
      asm volatile("");
    });
  }
  while (app::engine::waiting.load() < threads - 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::printf("ready\n");
  std::fflush(stdout);
  app::engine::Pipeline<long> main_pipeline(1);
  main_pipeline.stage_one(2);
  for (auto& t : pool) t.join();
  return 0;
}
