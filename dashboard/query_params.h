// The query parameters of the dashboard's endpoints (docs/dashboard.md), parsed and checked
// once: a bad value is INVALID_ARGUMENT naming the parameter and what it got (a 400).
#ifndef AUGUR_DASHBOARD_QUERY_PARAMS_H_
#define AUGUR_DASHBOARD_QUERY_PARAMS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "dashboard/api.h"
#include "httplib.h"

namespace augur::dashboard {

// A count in [0, max] ("all" is 0); `fallback` when absent.
absl::StatusOr<int64_t> IntParam(const httplib::Request& req, const char* name, int64_t fallback,
                                 int64_t max);

// A finite number; `fallback` when absent.
absl::StatusOr<double> NumberParam(const httplib::Request& req, const char* name, double fallback);

// The sweep endpoint's page: offset (an integer >= 0, default 0) and page_size (an integer in
// [1, kMaxTrialPage], default kDefaultTrialPage).
absl::StatusOr<TrialPageQuery> ParseTrialPage(const httplib::Request& req);

// The curves endpoint's page (ParseTrialPage), normalized, trials, x_from and x_to (x_from below
// x_to).
absl::StatusOr<CurveQuery> ParseCurveQuery(const httplib::Request& req);

}  // namespace augur::dashboard

#endif  // AUGUR_DASHBOARD_QUERY_PARAMS_H_
