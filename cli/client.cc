#include "cli/client.h"

#include <chrono>

#include "common/client_auth.h"
#include "common/client_token.h"
#include "common/text.h"

namespace augur::cli {

absl::StatusOr<std::unique_ptr<SchedulerClient>> SchedulerClient::Connect(
    const std::string& address, absl::Duration connect_timeout) {
  std::unique_ptr<SchedulerClient> client(new SchedulerClient());
  client->address_ = address;
  // Credentials and the bearer token (--token, --token-file, $AUGUR_TOKEN) are chosen in one
  // place, common/client_auth.h, as for augur-worker.
  client->channel_ = SchedulerChannel(address, ProcessClientToken());
  const auto deadline =
      std::chrono::system_clock::now() + absl::ToChronoMilliseconds(connect_timeout);
  if (!client->channel_->WaitForConnected(deadline)) {
    return absl::UnavailableError(Cat("cannot reach the scheduler at ", address,
                                      " (no answer within ", absl::FormatDuration(connect_timeout),
                                      "); is augur-scheduler running there?"));
  }
  client->stub_ = v1::SweepService::NewStub(client->channel_);
  return client;
}

std::unique_ptr<grpc::ClientContext> SchedulerClient::Context(absl::Duration timeout) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (timeout != absl::InfiniteDuration()) {
    context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  }
  return context;
}

absl::Status SchedulerClient::Check(const grpc::Status& status, std::string_view call) const {
  if (status.ok()) return absl::OkStatus();
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    return absl::Status(code, Cat("lost the scheduler at ", address_, " during ", call, ": ",
                                  status.error_message()));
  }
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::Status(code,
                        Cat(call, ": the scheduler at ", address_, " did not answer in time"));
  }
  return absl::Status(code, Cat(call, ": ", status.error_message()));
}

absl::StatusOr<v1::GetSweepResponse> FetchSweep(SchedulerClient& client,
                                                const std::string& sweep_id) {
  v1::GetSweepRequest request;
  request.set_sweep_id(sweep_id);
  v1::GetSweepResponse response;
  auto context = SchedulerClient::Context();
  if (absl::Status s =
          client.Check(client.stub().GetSweep(context.get(), request, &response), "GetSweep");
      !s.ok()) {
    return s;
  }
  return response;
}

absl::StatusOr<std::vector<v1::TrialCurve>> FetchCurves(SchedulerClient& client,
                                                        const std::string& sweep_id,
                                                        const std::vector<std::string>& trial_ids) {
  v1::ExportCurvesRequest request;
  request.set_sweep_id(sweep_id);
  for (const std::string& id : trial_ids) request.add_trial_ids(id);
  auto context = SchedulerClient::Context(absl::Minutes(5));
  auto reader = client.stub().ExportCurves(context.get(), request);
  std::vector<v1::TrialCurve> curves;
  v1::TrialCurve curve;
  while (reader->Read(&curve)) curves.push_back(std::move(curve));
  if (absl::Status s = client.Check(reader->Finish(), "ExportCurves"); !s.ok()) return s;
  return curves;
}

}  // namespace augur::cli
