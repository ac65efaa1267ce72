// How many trials a worker names in SessionHello.kept_trials (the checkpoints it keeps without
// running them), and so how many the scheduler looks up: one number for both sides.
#ifndef AUGUR_COMMON_KEPT_TRIALS_H_
#define AUGUR_COMMON_KEPT_TRIALS_H_

namespace augur {

inline constexpr int kMaxKeptTrials = 4096;

}  // namespace augur

#endif  // AUGUR_COMMON_KEPT_TRIALS_H_
