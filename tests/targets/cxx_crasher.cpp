// cxx_crasher: an uncaught C++ exception. Prints "ready", waits for a line on stdin, then throws
// std::runtime_error("watch test: ledger out of balance") out of a noexcept-free call chain, so
// std::terminate runs and aborts (SIGABRT; glibc records no __abort_msg for this).
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>

namespace ledger {

__attribute__((noinline)) void reconcile(int entries) {
  if (entries > 0) throw std::runtime_error("watch test: ledger out of balance");
}

}  // namespace ledger

int main() {
  std::printf("ready\n");
  std::fflush(stdout);
  std::string line;
  if (!std::getline(std::cin, line)) return 4;
  ledger::reconcile(3);
  return 5;
}
