#include "predictor/model.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace augur::predictor {

const Calibration* PredictorModel::For(const std::string& key) const {
  const Calibration* pooled = nullptr;
  for (const Calibration& c : calibrations) {
    if (c.schedule_key == key) return &c;
    if (c.schedule_key == kPooledKey) pooled = &c;
  }
  return pooled;
}

std::vector<std::string> KeysUsingPooled(const PredictorModel& model,
                                         const std::vector<Curve>& curves) {
  std::vector<std::string> keys;
  for (const Curve& c : curves) {
    const std::string key = c.controls.ScheduleKey();
    const Calibration* cal = model.For(key);
    if (cal != nullptr && cal->schedule_key == kPooledKey && key != kPooledKey &&
        std::find(keys.begin(), keys.end(), key) == keys.end()) {
      keys.push_back(key);
    }
  }
  return keys;
}

absl::StatusOr<PredictorModel> FitModel(const std::vector<Curve>& refs, const FitOptions& options,
                                        int min_curves_per_schedule) {
  PredictorModel model;
  model.fit = options;
  std::map<std::string, std::vector<Curve>> by_key;
  for (const Curve& c : refs) by_key[c.controls.ScheduleKey()].push_back(c);
  for (const auto& [key, curves] : by_key) {
    int usable = 0;
    for (const Curve& c : curves) {
      if (c.complete && c.points.size() >= 10 && FirstNonFinite(c.points) < 0) ++usable;
    }
    if (usable < min_curves_per_schedule) continue;
    auto cal = FitForm(curves, options);
    if (!cal.ok()) return cal.status();
    cal->schedule_key = key;
    model.calibrations.push_back(*std::move(cal));
  }
  auto pooled = FitForm(refs, options);
  if (!pooled.ok()) return pooled.status();
  pooled->schedule_key = kPooledKey;
  model.calibrations.push_back(*std::move(pooled));
  return model;
}

namespace {

nlohmann::json ErrorJson(const ErrorModel& e) {
  nlohmann::json j = {{"fractions", e.fractions}, {"rel_rmse", e.rel_rmse}};
  if (!e.held_out.empty()) j["held_out"] = e.held_out;
  if (e.diff_measured()) {
    j["diff_fractions"] = e.diff_fractions;
    j["rel_diff_rmse"] = e.rel_diff_rmse;
    j["diff_pairs"] = e.diff_pairs;
  }
  if (!e.rel_q90.empty()) j["rel_q90"] = e.rel_q90;
  return j;
}

}  // namespace

std::string ModelToJson(const PredictorModel& model) {
  nlohmann::json j;
  j["format"] = "augur.predictor.model";
  j["version"] = kModelVersion;
  j["fixed"] = {{"m", kFormM}, {"e1", kFormE1}, {"e2", kFormE2}};
  j["fit"] = {{"x_min", model.fit.x_min},
              {"x_max", model.fit.x_max},
              {"grid_points", model.fit.grid_points},
              {"smooth_window_fraction", model.fit.smooth_window_fraction},
              {"cv_folds", model.fit.cv_folds}};
  nlohmann::json cals = nlohmann::json::array();
  for (const Calibration& c : model.calibrations) {
    cals.push_back({{"schedule", c.schedule_key},
                    {"b_c", c.constants.b_c},
                    {"b_e", c.constants.b_e},
                    {"q_c", c.constants.q_c},
                    {"q_e", c.constants.q_e},
                    {"mae", c.mae},
                    {"curves", c.curves},
                    {"dropped", c.dropped},
                    {"sizes", c.sizes},
                    {"error", ErrorJson(c.error)}});
  }
  j["calibrations"] = cals;
  return j.dump(2) + "\n";
}

absl::StatusOr<PredictorModel> ModelFromJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError("model: not valid JSON");
  try {
    if (j.value("format", "") != "augur.predictor.model") {
      return absl::InvalidArgumentError("model: format is not augur.predictor.model");
    }
    const int version = j.at("version").get<int>();
    if (version > kModelVersion || version < 1) {
      return absl::InvalidArgumentError(absl::StrCat("model: version ", version,
                                                     " not supported (this build reads up to ",
                                                     kModelVersion, ")"));
    }
    const auto& fixed = j.at("fixed");
    if (std::abs(fixed.at("m").get<double>() - kFormM) > 1e-12 ||
        std::abs(fixed.at("e1").get<double>() - kFormE1) > 1e-12 ||
        std::abs(fixed.at("e2").get<double>() - kFormE2) > 1e-12) {
      return absl::InvalidArgumentError("model: fixed constants m, e1, e2 differ from this build");
    }
    PredictorModel model;
    const auto& fit = j.at("fit");
    model.fit.x_min = fit.at("x_min").get<double>();
    model.fit.x_max = fit.at("x_max").get<double>();
    model.fit.grid_points = fit.value("grid_points", model.fit.grid_points);
    model.fit.smooth_window_fraction = fit.at("smooth_window_fraction").get<double>();
    model.fit.cv_folds = fit.value("cv_folds", model.fit.cv_folds);
    for (const auto& c : j.at("calibrations")) {
      Calibration cal;
      // Models written before the shape names were unified key linear decay as "d2z".
      cal.schedule_key = CanonicalScheduleKey(c.at("schedule").get<std::string>());
      cal.constants.b_c = c.at("b_c").get<double>();
      cal.constants.b_e = c.at("b_e").get<double>();
      cal.constants.q_c = c.at("q_c").get<double>();
      cal.constants.q_e = c.at("q_e").get<double>();
      cal.mae = c.value("mae", 0.0);
      cal.curves = c.value("curves", 0);
      cal.dropped = c.value("dropped", 0);
      cal.sizes = c.value("sizes", 0);  // 0: written before 2026-12-05.
      cal.error.fractions = c.at("error").at("fractions").get<std::vector<double>>();
      cal.error.rel_rmse = c.at("error").at("rel_rmse").get<std::vector<double>>();
      // Models written before paired errors were measured have none: DiffAt falls back.
      const auto& error = c.at("error");
      cal.error.diff_fractions = error.value("diff_fractions", std::vector<double>{});
      cal.error.rel_diff_rmse = error.value("rel_diff_rmse", std::vector<double>{});
      cal.error.diff_pairs = error.value("diff_pairs", 0);
      // Models written before 2026-12-05 did not record it: their errors are taken as measured.
      if (auto h = error.find("held_out"); h != error.end() && h->is_array()) {
        cal.error.held_out = h->get<std::vector<int>>();
      }
      // Models written before the quantile was measured have none: intervals use rel_rmse.
      cal.error.rel_q90 = error.value("rel_q90", std::vector<double>{});
      if (cal.error.fractions.size() != cal.error.rel_rmse.size() ||
          cal.error.diff_fractions.size() != cal.error.rel_diff_rmse.size() ||
          (!cal.error.rel_q90.empty() && cal.error.rel_q90.size() != cal.error.fractions.size()) ||
          (!cal.error.held_out.empty() &&
           cal.error.held_out.size() != cal.error.fractions.size())) {
        return absl::InvalidArgumentError(
            "model: error.fractions and rel_rmse, rel_q90 or held_out (or diff_fractions and "
            "rel_diff_rmse) differ in size");
      }
      model.calibrations.push_back(std::move(cal));
    }
    if (model.calibrations.empty()) return absl::InvalidArgumentError("model: no calibrations");
    return model;
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("model: ", e.what()));
  }
}

absl::Status SaveModel(const PredictorModel& model, const std::string& path) {
  std::ofstream out(path);
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  out << ModelToJson(model);
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat("error writing ", path));
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadModelText(const std::string& path) {
  // O_NONBLOCK: opening a FIFO with no writer would otherwise wait for one.
  const int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(absl::StrCat("cannot open ", path, ": ", strerror(errno)));
  struct stat st {};
  std::string text;
  absl::Status status;
  if (fstat(fd, &st) != 0) {
    status = absl::InvalidArgumentError(absl::StrCat(path, ": ", strerror(errno)));
  } else if (!S_ISREG(st.st_mode)) {
    status = absl::InvalidArgumentError(absl::StrCat(path, " is not a regular file"));
  } else if (st.st_size > kMaxModelFileBytes) {
    status = absl::InvalidArgumentError(absl::StrCat(
        path, " holds ", st.st_size, " bytes, more than a model's limit of ", kMaxModelFileBytes));
  } else {
    text.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < text.size()) {
      const ssize_t n = read(fd, text.data() + got, text.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    text.resize(got);
  }
  close(fd);
  if (!status.ok()) return status;
  if (auto model = ModelFromJson(text); !model.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a fitted predictor model (", model.status().message(), ")"));
  }
  return text;
}

absl::StatusOr<PredictorModel> LoadModel(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadModelText(path));
  return ModelFromJson(text);
}

}  // namespace augur::predictor
