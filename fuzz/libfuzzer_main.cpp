// libFuzzer's entry for one target: DBG_FUZZ_ENTRY names which of fuzz_targets.hpp's
// functions this executable fuzzes (set per target by fuzz/CMakeLists.txt).
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dbg::fuzz::DBG_FUZZ_ENTRY(data, size);
  return 0;
}
