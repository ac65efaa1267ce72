// Helpers shared by the trainer's LibTorch tests.
#ifndef AUGUR_TRAINER_TEST_UTIL_H_
#define AUGUR_TRAINER_TEST_UTIL_H_

#include <string>

#include "trainer/config.h"

namespace augur::trainer {

// A slice (first `bytes` bytes) of the default English corpus, written once per process into a
// temp file; skips the calling test (GTEST_SKIP) via an empty return when no corpus exists.
std::string CorpusSlicePath(size_t bytes = 400'000);

// A tiny trial on `data_path`: width 32, depth 2, 2 heads, context 64, 1 CPU thread.
TrialSpec TinyTrial(const std::string& data_path);

}  // namespace augur::trainer

#endif  // AUGUR_TRAINER_TEST_UTIL_H_
