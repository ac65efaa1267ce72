// The dashboard over HTTP: the page (built by web/, embedded in the binary: assets.h), its
// JSON endpoints (api.h; docs/dashboard.md lists them) and live updates as server-sent events.
// Started beside the gRPC API by augur-scheduler and by `augur run`.
//
// Access: read endpoints need the view role and actions (stop, pause, resume, tag) the submit
// role, checked by the scheduler's Authorizer on "Authorization: Bearer TOKEN" (or, for the
// event stream, which browsers open without headers, `?access_token=TOKEN`). Without a tokens
// file every read is allowed, as on the gRPC port. Actions are refused unless
// `allow_actions` is set: the page is read-only by default. With `tls` (the scheduler's own
// certificate and key, common/tls_options.h) it serves HTTPS only.
#ifndef AUGUR_DASHBOARD_HTTP_SERVER_H_
#define AUGUR_DASHBOARD_HTTP_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/tls_options.h"
#include "scheduler/scheduler.h"

namespace augur::dashboard {

struct DashboardOptions {
  std::string listen = "127.0.0.1:0";  // HOST:PORT; port 0 picks a free one.
  std::string tokens_file;             // The scheduler's; empty = no access control.
  bool allow_actions = false;          // Stop/pause/resume/tag from the page.
  int threads = 16;                    // Requests served at once, live streams included.
  int max_live_streams = 8;            // More are refused 503 (each holds a thread).
  TlsServerFiles tls;                  // The scheduler's certificate and key: HTTPS when set.
};

class DashboardServer {
 public:
  // Serves until Stop. `scheduler` must outlive the server. UNAVAILABLE if the address cannot
  // be bound; INVALID_ARGUMENT for a bad address or tokens file.
  static absl::StatusOr<std::unique_ptr<DashboardServer>> Start(Scheduler* scheduler,
                                                                const DashboardOptions& options);
  ~DashboardServer();  // Stops.

  // "http://HOST:PORT/", or https:// with TLS.
  std::string url() const;
  int port() const;
  // "METHOD PATTERN" of every route it serves (patterns as httplib takes them), so that a test
  // can insist each one is covered (tests of access control).
  std::vector<std::string> endpoints() const;
  // Ends live streams and stops serving; idempotent.
  void Stop();

  struct Impl;

 private:
  explicit DashboardServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// DashboardServer::Start, or nullptr when `options.listen` is "off" (the flag of both binaries).
absl::StatusOr<std::unique_ptr<DashboardServer>> StartUnlessOff(Scheduler* scheduler,
                                                                const DashboardOptions& options);

}  // namespace augur::dashboard

#endif  // AUGUR_DASHBOARD_HTTP_SERVER_H_
