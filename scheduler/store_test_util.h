// Helpers shared by the store tests: trial/sweep/point builders and a temporary directory.
#ifndef AUGUR_SCHEDULER_STORE_TEST_UTIL_H_
#define AUGUR_SCHEDULER_STORE_TEST_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "augur/v1/sweep.pb.h"
#include "common/test_temp_dir.h"
#include "gtest/gtest.h"

namespace augur::testing_util {

// A checkpoint path the store accepts for the trial and step (CheckCheckpointPath).
inline std::string CheckpointPathFor(std::string trial_id, int64_t step) {
  for (char& c : trial_id) c = c == '/' ? '_' : c;
  char name[64];
  std::snprintf(name, sizeof(name), "step-%010lld.ckpt", static_cast<long long>(step));
  return absl::StrCat("/work/", trial_id, "/checkpoints/", name);
}

// A fresh directory under the test temp dir, removed on destruction (common/test_temp_dir.h).
using TempDir = augur::testing::TempDir;

inline v1::Trial MakeTrial(const std::string& sweep_id, int index, bool is_reference = false) {
  v1::Trial t;
  t.set_trial_id(absl::StrCat(sweep_id, "/t", index < 10 ? "00" : "0", index));
  t.set_sweep_id(sweep_id);
  t.set_state(v1::TRIAL_STATE_PENDING);
  t.set_is_reference(is_reference);
  t.mutable_hyperparameters()->set_peak_lr(0.01 * (index + 1));
  t.mutable_hyperparameters()->set_model_size(is_reference ? "ref" : "w128");
  t.mutable_config()->set_total_steps(100);
  t.mutable_config()->set_batch_sequences(8);
  t.mutable_controls()->set_total_steps(100);
  t.mutable_controls()->set_batch_tokens(1024);
  t.mutable_controls()->set_tau(0.1);
  return t;
}

inline v1::Sweep MakeSweep(const std::string& sweep_id) {
  v1::Sweep s;
  s.set_sweep_id(sweep_id);
  s.mutable_spec()->set_name(absl::StrCat("spec of ", sweep_id));
  s.mutable_spec()->set_source_yaml("name: x\n");
  return s;
}

// `n` trials, the first `references` of them reference runs.
inline std::vector<v1::Trial> MakeTrials(const std::string& sweep_id, int n, int references = 0) {
  std::vector<v1::Trial> trials;
  for (int i = 0; i < n; ++i) trials.push_back(MakeTrial(sweep_id, i, i < references));
  return trials;
}

inline v1::LossPoint Point(int64_t step, double loss) {
  v1::LossPoint p;
  p.set_step(step);
  p.set_tokens(step * 1024);
  p.set_fraction(std::min(1.0, step / 100.0));  // Fractions past 1 are refused.
  p.set_train_loss(loss);
  p.set_lr(1e-3);
  p.set_wall_time_unix_ms(1'700'000'000'000 + step);
  return p;
}

inline std::vector<v1::LossPoint> Points(int64_t first, int64_t last) {
  std::vector<v1::LossPoint> out;
  for (int64_t s = first; s <= last; ++s) out.push_back(Point(s, 5.0 - 0.01 * s));
  return out;
}

}  // namespace augur::testing_util

#endif  // AUGUR_SCHEDULER_STORE_TEST_UTIL_H_
