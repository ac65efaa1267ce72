// gRPC's own log lines (its core logs failures such as a failed bind as multi-line dumps on
// stderr) routed into the daemon's structured log (common/log.h) at debug level, with gRPC's
// severity as a field: every failure a user must act on is reported by Augur's own code with
// its cause, in one line; AUGUR_LOG_LEVEL=debug shows gRPC's detail as well.
#ifndef AUGUR_COMMON_GRPC_LOG_H_
#define AUGUR_COMMON_GRPC_LOG_H_

namespace augur {

// Call once at start, before any gRPC object is made.
void RouteGrpcLogs();

}  // namespace augur

#endif  // AUGUR_COMMON_GRPC_LOG_H_
