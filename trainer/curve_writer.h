// Writes a run's loss curve in the predictor's CSV format (docs/curves.md) and, optionally, as
// JSON lines on a file descriptor for a supervising process (the worker).
//
// CSV columns: run_id,step,tokens,fraction,loss,lr,val_loss then the run's controls repeated on
// every row: tpp,tau,schedule,warmup_fraction,peak_lr,weight_decay,batch_tokens,params,seed,
// total_steps,decay_fraction,final_lr_fraction. `schedule` is linear_decay|cosine|constant|wsd
// (ScheduleShapeName; files written before it say d2z for linear_decay, which readers accept);
// `peak_lr` and `lr` are the base (muP) LR as configured, `tau` the implied timescale.
// val_loss is empty when not evaluated at that step; a non-finite loss is written as "nan".
// JSON lines: {"event":"start",...controls}, {"event":"point",...}, {"event":"checkpoint",
// "step":N,"path":P}, {"event":"end","outcome":"COMPLETED|DIVERGED|STOPPED|FAILED",...}; a
// non-finite loss is null in JSON.
// The CSV is flushed after every row so a killed run leaves a valid prefix.
// Not thread-safe.
#ifndef AUGUR_TRAINER_CURVE_WRITER_H_
#define AUGUR_TRAINER_CURVE_WRITER_H_

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/schedule.h"

namespace augur::trainer {

// Controls of the run, repeated on each CSV row (METHOD.md §1).
struct CurveControls {
  std::string run_id;
  double tokens_per_param = 0;  // Per non-embedding parameter.
  double tau = 0;
  ScheduleSettings schedule{};
  double peak_lr = 0;
  double weight_decay = 0;
  int64_t batch_tokens = 0;
  int64_t params = 0;  // Non-embedding.
  int64_t params_with_embeddings = 0;
  uint64_t seed = 0;
  int64_t total_steps = 0;
};

struct CurvePoint {
  int64_t step = 0;
  int64_t tokens = 0;
  double fraction = 0;
  double loss = 0;
  double lr = 0;
  std::optional<double> val_loss{};
};

class CurveWriter {
 public:
  // `csv_path` may be empty (no CSV); `jsonl_fd` < 0 disables JSON lines. When resuming
  // (`append`), rows are appended to an existing CSV without a new header.
  static absl::StatusOr<std::unique_ptr<CurveWriter>> Open(const std::string& csv_path,
                                                           int jsonl_fd, bool append,
                                                           const CurveControls& controls);
  ~CurveWriter();

  void Point(const CurvePoint& p);
  void Checkpoint(int64_t step, const std::string& path);
  void End(const std::string& outcome, const std::string& message, double tokens_per_second,
           double tokens_per_cpu_second);

  static std::string CsvHeader();

 private:
  CurveWriter() = default;
  void Json(const std::string& line);

  FILE* csv_ = nullptr;
  FILE* jsonl_ = nullptr;
  CurveControls c_;
  std::string control_cells_;
};

}  // namespace augur::trainer

#endif  // AUGUR_TRAINER_CURVE_WRITER_H_
