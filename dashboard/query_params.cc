#include "dashboard/query_params.h"

#include <cmath>
#include <limits>
#include <string>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace augur::dashboard {
namespace {

// Offsets past any sweep a store holds (GetSweepResponse counts trials in an int32).
constexpr int64_t kMaxOffset = std::numeric_limits<int32_t>::max();

}  // namespace

absl::StatusOr<int64_t> IntParam(const httplib::Request& req, const char* name, int64_t fallback,
                                 int64_t max) {
  if (!req.has_param(name)) return fallback;
  const std::string text = req.get_param_value(name);
  int64_t v = 0;
  if (text == "all") return 0;
  if (!absl::SimpleAtoi(text, &v) || v < 0 || v > max) {
    return absl::InvalidArgumentError(absl::StrCat(name, " must be an integer in [0, ", max,
                                                   "] (got '", text.substr(0, 20), "')"));
  }
  return v;
}

absl::StatusOr<double> NumberParam(const httplib::Request& req, const char* name, double fallback) {
  if (!req.has_param(name)) return fallback;
  const std::string text = req.get_param_value(name);
  double v = 0;
  if (!absl::SimpleAtod(text, &v) || !std::isfinite(v)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " must be a number (got '", text.substr(0, 20), "')"));
  }
  return v;
}

absl::StatusOr<TrialPageQuery> ParseTrialPage(const httplib::Request& req) {
  TrialPageQuery page;
  for (auto [name, value, min, max] :
       {std::tuple("offset", &page.offset, int64_t{0}, kMaxOffset),
        std::tuple("page_size", &page.page_size, int64_t{1}, kMaxTrialPage)}) {
    if (!req.has_param(name)) continue;
    const std::string text = req.get_param_value(name);
    if (!absl::SimpleAtoi(text, value) || *value < min || *value > max) {
      return absl::InvalidArgumentError(absl::StrCat(name, " must be an integer in [", min, ", ",
                                                     max, "] (got '", text.substr(0, 20), "')"));
    }
  }
  return page;
}

absl::StatusOr<CurveQuery> ParseCurveQuery(const httplib::Request& req) {
  const absl::StatusOr<int64_t> points = IntParam(req, "points", 1000, 100000);
  if (!points.ok()) return points.status();
  CurveQuery query;
  query.points = static_cast<size_t>(*points);
  query.normalized = req.get_param_value("normalized") == "1";
  if (req.has_param("trials")) {
    query.trials = absl::StrSplit(req.get_param_value("trials"), ',', absl::SkipEmpty());
  }
  const absl::StatusOr<TrialPageQuery> page = ParseTrialPage(req);
  if (!page.ok()) return page.status();
  query.page = *page;
  const absl::StatusOr<double> from = NumberParam(req, "x_from", query.x_from);
  if (!from.ok()) return from.status();
  const absl::StatusOr<double> to = NumberParam(req, "x_to", query.x_to);
  if (!to.ok()) return to.status();
  if (!(*from < *to)) {
    return absl::InvalidArgumentError(
        absl::StrCat("x_from must be below x_to (got ", *from, " and ", *to, ")"));
  }
  query.x_from = *from;
  query.x_to = *to;
  return query;
}

}  // namespace augur::dashboard
