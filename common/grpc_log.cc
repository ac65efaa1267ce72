#include "common/grpc_log.h"

#include <grpc/support/log.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace augur {
namespace {

void ToAugurLog(gpr_log_func_args* args) {
  Log(LogLevel::kDebug, "grpc",
      {{"severity", gpr_log_severity_string(args->severity)},
       {"at", absl::StrCat(args->file ? args->file : "?", ":", args->line)}},
      args->message ? args->message : "");
}

}  // namespace

void RouteGrpcLogs() {
  gpr_set_log_verbosity(GPR_LOG_SEVERITY_DEBUG);  // Filtered by AUGUR_LOG_LEVEL instead.
  gpr_set_log_function(&ToAugurLog);
}

}  // namespace augur
