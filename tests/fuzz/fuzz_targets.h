// The entry functions of Augur's fuzz targets (docs/fuzzing.md). Each takes arbitrary bytes and
// must neither crash, leak, hang nor trip a sanitizer, whatever they hold; a bad input is an
// error status, never more. libFuzzer calls them from fuzz_main.cc in the clang build
// (-DAUGUR_FUZZ=ON); the ordinary build feeds them every file of tests/fuzz/corpus/ and
// tests/fuzz/crashes/ in fuzz_regression_test.cc, so found inputs stay fixed.
#ifndef AUGUR_TESTS_FUZZ_FUZZ_TARGETS_H_
#define AUGUR_TESTS_FUZZ_FUZZ_TARGETS_H_

#include <cstddef>
#include <cstdint>

namespace augur::fuzz {

// cli/spec.h: a sweep spec's YAML, parsed and validated.
void FuzzSweepSpec(const uint8_t* data, size_t size);
// predictor/curve_csv.h: a curve CSV file.
void FuzzCurveCsv(const uint8_t* data, size_t size);
// trainer/trial_config_text.h: a trial config YAML, then resolved as augur-train would.
void FuzzTrialConfig(const uint8_t* data, size_t size);
// scheduler/services.h: a sequence of request protos, each handed to its gRPC handler (or, for
// worker messages, to the session path) of a scheduler over an in-memory store.
void FuzzSchedulerRequests(const uint8_t* data, size_t size);

}  // namespace augur::fuzz

#endif  // AUGUR_TESTS_FUZZ_FUZZ_TARGETS_H_
