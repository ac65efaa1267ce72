#include "cli/client.h"

#include <chrono>

#include "cli/trial_ref.h"
#include "common/client_auth.h"
#include "common/client_token.h"
#include "common/text.h"

namespace augur::cli {

absl::StatusOr<std::unique_ptr<SchedulerClient>> SchedulerClient::Connect(
    const std::string& address, absl::Duration connect_timeout) {
  std::unique_ptr<SchedulerClient> client(new SchedulerClient());
  client->address_ = address;
  // Credentials (--tls-ca, --tls-cert, --tls-key or $AUGUR_TLS_*) and the bearer token
  // (--token, --token-file, $AUGUR_TOKEN) are chosen in one place, common/client_auth.h, as
  // for augur-worker.
  auto channel = SchedulerChannel(address, {ProcessClientToken(), ProcessClientTls()});
  if (!channel.ok()) return channel.status();
  client->channel_ = std::move(*channel);
  const auto deadline =
      std::chrono::system_clock::now() + absl::ToChronoMilliseconds(connect_timeout);
  if (!client->channel_->WaitForConnected(deadline)) {
    return absl::UnavailableError(Cat("cannot reach the scheduler at ", address,
                                      " (no answer within ", absl::FormatDuration(connect_timeout),
                                      ProcessClientTls().enabled()
                                          ? "); is augur-scheduler running there, with TLS, and "
                                            "did its certificate verify against --tls-ca?"
                                          : "); is augur-scheduler running there?"));
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

absl::StatusOr<v1::ListSweepsResponse> ListSweepsPage(SchedulerClient& client,
                                                      const std::string& page_token) {
  v1::ListSweepsRequest request;
  request.set_page_token(page_token);
  v1::ListSweepsResponse response;
  auto context = SchedulerClient::Context();
  if (absl::Status s =
          client.Check(client.stub().ListSweeps(context.get(), request, &response), "ListSweeps");
      !s.ok()) {
    return s;
  }
  return response;
}

absl::StatusOr<v1::GetSweepResponse> FetchSweepPage(SchedulerClient& client,
                                                    const std::string& sweep_id, int page_size,
                                                    const std::string& page_token) {
  v1::GetSweepRequest request;
  request.set_sweep_id(sweep_id);
  request.set_page_size(page_size);
  request.set_page_token(page_token);
  v1::GetSweepResponse page;
  auto context = SchedulerClient::Context();
  if (absl::Status s =
          client.Check(client.stub().GetSweep(context.get(), request, &page), "GetSweep");
      !s.ok()) {
    return s;
  }
  return page;
}

absl::Status ForEachSweepPage(SchedulerClient& client, const std::string& sweep_id,
                              const std::function<bool(v1::GetSweepResponse& page)>& visit,
                              int page_size) {
  std::string token;
  do {
    absl::StatusOr<v1::GetSweepResponse> page = FetchSweepPage(client, sweep_id, page_size, token);
    if (!page.ok()) return page.status();
    token = page->next_page_token();
    if (!visit(*page)) break;
  } while (!token.empty());
  return absl::OkStatus();
}

absl::StatusOr<v1::GetSweepResponse> FetchSweep(SchedulerClient& client,
                                                const std::string& sweep_id, int64_t max_rows) {
  v1::GetSweepResponse all;
  bool first = true;
  const int page_size =
      max_rows > 0 && max_rows < kSweepPageSize ? static_cast<int>(max_rows) : kSweepPageSize;
  absl::Status status = ForEachSweepPage(
      client, sweep_id,
      [&](v1::GetSweepResponse& page) {
        if (first) {
          *all.mutable_sweep() = std::move(*page.mutable_sweep());
          all.set_total_trials(page.total_trials());
          all.set_total_decisions(page.total_decisions());
          first = false;
        }
        for (auto& row : *page.mutable_ranking()) {
          if (max_rows >= 0 && all.ranking_size() >= max_rows) break;
          *all.add_ranking() = std::move(row);
        }
        for (auto& d : *page.mutable_decisions()) {
          if (max_rows >= 0 && all.decisions_size() >= max_rows) break;
          *all.add_decisions() = std::move(d);
        }
        return max_rows < 0 || all.ranking_size() < max_rows;
      },
      page_size);
  if (!status.ok()) return status;
  return all;
}

absl::Status ForEachCurve(SchedulerClient& client, const std::string& sweep_id,
                          const std::vector<std::string>& trial_ids,
                          const std::function<bool(v1::TrialCurve& curve)>& visit) {
  v1::ExportCurvesRequest request;
  request.set_sweep_id(sweep_id);
  for (const std::string& id : trial_ids) {
    const size_t slash = id.rfind('/');
    request.add_trial_ids(slash == std::string::npos
                              ? CanonicalShortId(id)
                              : id.substr(0, slash + 1) + CanonicalShortId(id.substr(slash + 1)));
  }
  auto context = SchedulerClient::Context(absl::Hours(1));
  auto reader = client.stub().ExportCurves(context.get(), request);
  v1::TrialCurve curve;
  while (reader->Read(&curve)) {
    if (!visit(curve)) {
      context->TryCancel();
      break;
    }
  }
  grpc::Status finished = reader->Finish();
  if (finished.error_code() == grpc::StatusCode::CANCELLED) return absl::OkStatus();
  return client.Check(finished, "ExportCurves");
}

absl::StatusOr<std::vector<v1::TrialCurve>> FetchCurves(SchedulerClient& client,
                                                        const std::string& sweep_id,
                                                        const std::vector<std::string>& trial_ids) {
  std::vector<v1::TrialCurve> curves;
  absl::Status status = ForEachCurve(client, sweep_id, trial_ids, [&](v1::TrialCurve& c) {
    if (!curves.empty() && curves.back().trial().trial_id() == c.trial().trial_id()) {
      for (auto& p : *c.mutable_points()) *curves.back().add_points() = std::move(p);
    } else {
      curves.push_back(std::move(c));
    }
    return true;
  });
  if (!status.ok()) return status;
  return curves;
}

}  // namespace augur::cli
