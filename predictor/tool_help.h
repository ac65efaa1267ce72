// --help texts of augur-predict (kept apart from the command logic in tool.cc).
#ifndef AUGUR_PREDICTOR_TOOL_HELP_H_
#define AUGUR_PREDICTOR_TOOL_HELP_H_

namespace augur::predictor {

inline constexpr char kMainHelp[] =
    R"(augur-predict: loss-curve collapse predictions on curve CSV files.

Commands:
  fit REFS.csv -o MODEL.json      fit the normalized form on complete reference curves
  predict --model MODEL.json PARTIAL.csv
                                  predicted final loss and interval per run
  replay SWEEP.csv --model MODEL.json
                                  replay a sweep of complete curves under a stopping policy

Run `augur-predict COMMAND --help` for a command's flags. CSV format: docs/curves.md.
Notes on the inputs (an assumed warmup, an lr column that overrides a named schedule, a
schedule with no calibration of its own) go to stderr, one line each.

Example:
  augur-predict replay sweep.csv --policy collapse --model model.json
)";

inline constexpr char kFitHelp[] = R"(augur-predict fit REFS.csv -o MODEL.json [flags]

Fits b = b_c tau^b_e and q = q_c TPP^q_e (METHOD.md §3) on the complete curves of REFS.csv:
one calibration per schedule with enough curves, plus a pooled one ("*"). Incomplete and
diverged curves are left out. Prints each calibration.

Flags:
  -o, --out PATH            where to write the model (JSON); required
  --x-min X                 start of the fit range (default 0.05, where the earliest alignment
                            window starts; [C] used 0.2; the range ends at 1)
  --smooth F                moving-average window, fraction of training (default 0.02)
  --cv-folds K              folds for the held-out error model (default 5)
  --min-per-schedule N      curves needed for a per-schedule calibration (default 3)

Example:
  augur-predict fit refs.csv -o model.json
)";

inline constexpr char kPredictHelp[] =
    R"(augur-predict predict (--model MODEL.json | --references REFS.csv) PARTIAL.csv [flags]

Aligns each run of PARTIAL.csv with its reference and prints the predicted final loss with an
interval (docs/method.md says how both are computed).

Flags:
  --model PATH              fitted model from `fit`
  --references PATH         complete proxy runs with matching controls (empirical reference)
  --at X                    use only the points up to fraction X
  --level P                 nominal coverage of the interval (default 0.9)
  --output text|json        (default text)

A run whose schedule has no calibration of its own in MODEL.json is predicted with the pooled
one: stderr says so once per schedule, and its JSON row has "pooled_calibration": true.

Example:
  augur-predict predict --model model.json partial.csv --at 0.2 --output json
)";

inline constexpr char kReplayHelp[] =
    R"(augur-predict replay SWEEP.csv [--policy P | --all-policies] [flags]

Replays complete curves as if the sweep were running: at each milestone the policy sees only
the points so far; points beyond are used only to score the outcome. Reports compute spent
(fraction of the full sweep), the chosen run, its true final loss and the regret against the
true best, per group: the `group` column, or for runs without one their comparison group as
`augur run` ranks trials (schedule shape and warmup, model size, TPP: one sweep per size).
With --output json, each trial also lists what the policy said at each milestone: prediction,
interval, action and reason.

Example:
  augur-predict replay sweep.csv --model model.json --score-on val_loss

Flags:
  --policy P                collapse (default), asha, median, topk, extrapolation or none
  --all-policies            run every policy and print them side by side
  --milestones LIST         decision fractions (default 0.1,0.15; the last one commits)
  --model PATH              collapse: reference from a fitted model (from outside the sweep)
  --references PATH         collapse: reference from proxy runs (from outside the sweep)
  --tolerance T             collapse: a relative difference of finals that does not matter
                            (default 0.001)
  --risk R                  collapse: stop a trial when its chance to end better than the
                            leader by more than the tolerance is below R (default 0.05)
  --keep-top K              collapse/extrapolation/top-k: trials kept past the last milestone
                            (default 1)
  --no-interval             collapse: rank on the prediction alone, keeping --keep per milestone
  --keep F                  with --no-interval, extrapolation: fraction kept (default 1/3)
  --asha-rf R               ASHA reduction factor (default 4, as Ray Tune)
  --asha-grace F            ASHA grace period, fraction of training (default 0.01)
  --median-min-samples N    median rule: other trials needed (default 3)
  --topk-k K                top-k: the same as --keep-top
  --topk-fraction F         top-k: where it decides (default 0.2)
  --score-on COLUMN         decide on the loss column, score (chosen, best, regret) on this
                            one, e.g. val_loss; its final value per run is read as the loss's
  --output text|json        (default text)
)";

}  // namespace augur::predictor

#endif  // AUGUR_PREDICTOR_TOOL_HELP_H_
