// How the scheduler's clients (augur, augur-worker) authenticate: a bearer token sent as
// "authorization: Bearer TOKEN" on every call (scheduler/auth.h checks it), and the one place
// where their channel credentials are chosen (TLS is a change here).
#ifndef AUGUR_COMMON_CLIENT_AUTH_H_
#define AUGUR_COMMON_CLIENT_AUTH_H_

#include <memory>
#include <string>

#include "grpcpp/channel.h"

namespace augur {

// A channel to `address` that sends `token` (if not empty) with every call.
std::shared_ptr<grpc::Channel> SchedulerChannel(const std::string& address,
                                                const std::string& token);

}  // namespace augur

#endif  // AUGUR_COMMON_CLIENT_AUTH_H_
