// libFuzzer's entry point for one target, chosen at compile time (AUGUR_FUZZ_TARGET, set by
// tests/fuzz/CMakeLists.txt for each fuzzer binary).
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  augur::fuzz::AUGUR_FUZZ_TARGET(data, size);
  return 0;
}
