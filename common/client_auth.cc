#include "common/client_auth.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/tls_credentials.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/client_interceptor.h"

namespace augur {
namespace {

namespace gx = grpc::experimental;

// Adds the authorization header to the initial metadata of every call of its channel.
class BearerInterceptor : public gx::Interceptor {
 public:
  explicit BearerInterceptor(const std::string& header) : header_(header) {}
  void Intercept(gx::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            gx::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->insert({"authorization", header_});
    }
    methods->Proceed();
  }

 private:
  const std::string& header_;  // Owned by the factory, which the channel keeps.
};

class BearerFactory : public gx::ClientInterceptorFactoryInterface {
 public:
  explicit BearerFactory(const std::string& token) : header_(absl::StrCat("Bearer ", token)) {}
  gx::Interceptor* CreateClientInterceptor(gx::ClientRpcInfo* info) override {
    return new BearerInterceptor(header_);
  }

 private:
  const std::string header_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> SchedulerChannel(const std::string& address,
                                                                const ClientSecurity& security) {
  grpc::ChannelArguments args;
  auto credentials = ChannelCredentialsFor(security.tls, &args);
  if (!credentials.ok()) return credentials.status();
  if (security.token.empty()) return grpc::CreateCustomChannel(address, *credentials, args);
  std::vector<std::unique_ptr<gx::ClientInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<BearerFactory>(security.token));
  return gx::CreateCustomChannelWithInterceptors(address, *credentials, args,
                                                 std::move(interceptors));
}

}  // namespace augur
