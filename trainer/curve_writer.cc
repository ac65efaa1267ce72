#include "trainer/curve_writer.h"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace augur::trainer {
namespace {

std::string Num(double x) {
  if (!std::isfinite(x)) return std::isnan(x) ? "nan" : (x > 0 ? "inf" : "-inf");
  return absl::StrFormat("%.9g", x);
}

// JSON has no NaN or Inf: non-finite losses are written as null.
nlohmann::json JsonNum(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(); }

}  // namespace

std::string CurveWriter::CsvHeader() {
  return "run_id,step,tokens,fraction,loss,lr,val_loss,tpp,tau,schedule,warmup_fraction,peak_lr,"
         "weight_decay,batch_tokens,params,seed,total_steps,decay_fraction,final_lr_fraction";
}

absl::StatusOr<std::unique_ptr<CurveWriter>> CurveWriter::Open(const std::string& csv_path,
                                                               int jsonl_fd, bool append,
                                                               const CurveControls& c) {
  std::unique_ptr<CurveWriter> w(new CurveWriter());
  w->c_ = c;
  w->control_cells_ = absl::StrCat(
      Num(c.tokens_per_param), ",", Num(c.tau), ",", ScheduleShapeName(c.schedule.shape), ",",
      Num(c.schedule.warmup_fraction), ",", Num(c.peak_lr), ",", Num(c.weight_decay), ",",
      c.batch_tokens, ",", c.params, ",", c.seed, ",", c.total_steps, ",",
      Num(c.schedule.decay_fraction), ",", Num(c.schedule.final_lr_fraction));
  if (!csv_path.empty()) {
    const bool had_rows =
        append && std::filesystem::exists(csv_path) && std::filesystem::file_size(csv_path) > 0;
    w->csv_ = std::fopen(csv_path.c_str(), append ? "a" : "w");
    if (w->csv_ == nullptr) {
      return absl::InternalError(
          absl::StrCat("cannot write curve ", csv_path, ": ", std::strerror(errno)));
    }
    if (!had_rows) std::fprintf(w->csv_, "%s\n", CsvHeader().c_str());
    std::fflush(w->csv_);
  }
  if (jsonl_fd >= 0) {
    w->jsonl_ = ::fdopen(::dup(jsonl_fd), "w");
    if (w->jsonl_ == nullptr) return absl::InternalError("cannot open the JSON-lines descriptor");
  }
  nlohmann::json start = {{"event", "start"},
                          {"run_id", c.run_id},
                          {"tpp", c.tokens_per_param},
                          {"tau", c.tau},
                          {"schedule", std::string(ScheduleShapeName(c.schedule.shape))},
                          {"warmup_fraction", c.schedule.warmup_fraction},
                          {"peak_lr", c.peak_lr},
                          {"weight_decay", c.weight_decay},
                          {"batch_tokens", c.batch_tokens},
                          {"params", c.params},
                          {"params_with_embeddings", c.params_with_embeddings},
                          {"seed", c.seed},
                          {"total_steps", c.total_steps}};
  w->Json(start.dump());
  return w;
}

CurveWriter::~CurveWriter() {
  if (csv_ != nullptr) std::fclose(csv_);
  if (jsonl_ != nullptr) std::fclose(jsonl_);
}

void CurveWriter::Json(const std::string& line) {
  if (jsonl_ == nullptr) return;
  std::fprintf(jsonl_, "%s\n", line.c_str());
  std::fflush(jsonl_);
}

void CurveWriter::Point(const CurvePoint& p) {
  if (csv_ != nullptr) {
    std::fprintf(csv_, "%s,%lld,%lld,%s,%s,%s,%s,%s\n", c_.run_id.c_str(),
                 static_cast<long long>(p.step), static_cast<long long>(p.tokens),
                 Num(p.fraction).c_str(), Num(p.loss).c_str(), Num(p.lr).c_str(),
                 p.val_loss ? Num(*p.val_loss).c_str() : "", control_cells_.c_str());
    std::fflush(csv_);
  }
  if (jsonl_ != nullptr) {
    nlohmann::json j = {{"event", "point"},       {"step", p.step},          {"tokens", p.tokens},
                        {"fraction", p.fraction}, {"loss", JsonNum(p.loss)}, {"lr", p.lr}};
    if (p.val_loss) j["val_loss"] = JsonNum(*p.val_loss);
    Json(j.dump());
  }
}

void CurveWriter::Checkpoint(int64_t step, const std::string& path) {
  Json(nlohmann::json({{"event", "checkpoint"}, {"step", step}, {"path", path}}).dump());
}

void CurveWriter::End(const std::string& outcome, const std::string& message,
                      double tokens_per_second, double tokens_per_cpu_second) {
  Json(nlohmann::json({{"event", "end"},
                       {"outcome", outcome},
                       {"message", message},
                       {"tokens_per_second", tokens_per_second},
                       {"tokens_per_cpu_second", tokens_per_cpu_second}})
           .dump());
}

}  // namespace augur::trainer
