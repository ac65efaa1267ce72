// A connection to the scheduler's SweepService for one `augur` command.
//
// Connect() waits a short, fixed time for the channel to come up, so an unreachable scheduler
// fails fast with a one-line reason naming the address instead of hanging in gRPC retries.
// Every call gets its own deadline, and the process's bearer token (ProcessClientToken, set from
// --token, --token-file or $AUGUR_TOKEN) if any. Not thread-safe except as gRPC stubs are (the stub
// may be used from several threads).
#ifndef AUGUR_CLI_CLIENT_H_
#define AUGUR_CLI_CLIENT_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "augur/v1/sweep.grpc.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"

namespace augur::cli {

inline constexpr absl::Duration kConnectTimeout = absl::Seconds(3);
inline constexpr absl::Duration kCallTimeout = absl::Seconds(30);

class SchedulerClient {
 public:
  // UNAVAILABLE ("cannot reach the scheduler at ADDRESS ...") if no connection within
  // `connect_timeout`.
  static absl::StatusOr<std::unique_ptr<SchedulerClient>> Connect(
      const std::string& address, absl::Duration connect_timeout = kConnectTimeout);

  const std::string& address() const { return address_; }
  v1::SweepService::Stub& stub() { return *stub_; }

  // A context with a deadline `timeout` from now (none if timeout is infinite).
  static std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout = kCallTimeout);

  // The gRPC status as an absl::Status whose message says what failed, e.g.
  // "GetSweep: NOT_FOUND: no sweep s-1". Unavailable names the address.
  absl::Status Check(const grpc::Status& status, std::string_view call) const;

 private:
  SchedulerClient() = default;
  std::string address_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::SweepService::Stub> stub_;
};

// GetSweep with the client's deadline.
absl::StatusOr<v1::GetSweepResponse> FetchSweep(SchedulerClient& client,
                                                const std::string& sweep_id);
// Every curve of the sweep (or of `trial_ids`), by ExportCurves.
absl::StatusOr<std::vector<v1::TrialCurve>> FetchCurves(SchedulerClient& client,
                                                        const std::string& sweep_id,
                                                        const std::vector<std::string>& trial_ids);

}  // namespace augur::cli

#endif  // AUGUR_CLI_CLIENT_H_
