// augur-scheduler: the central scheduler daemon. Flags are parsed here; everything else is in
// SchedulerServer (scheduler/server.h).
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/flags.h"
#include "common/grpc_log.h"
#include "common/log.h"
#include "common/signals.h"
#include "common/tls_options.h"
#include "dashboard/http_server.h"
#include "scheduler/listen_policy.h"
#include "scheduler/server.h"

namespace {

constexpr char kUsage[] =
    "usage: augur-scheduler [flags]\n\n"
    "Runs the Augur scheduler: the durable SQLite store, sweep planning, leases to workers,\n"
    "early stopping, and the SweepService/WorkerService gRPC API. SIGINT or SIGTERM stop it\n"
    "cleanly; a kill -9 loses nothing acknowledged (restart it on the same --db). SIGHUP\n"
    "re-reads the tokens file (it is also re-read when it changes). Off loopback it needs TLS\n"
    "and a tokens file (or --insecure).\n\n"
    "example:\n"
    "  augur certs /etc/augur/tls --host head.example.org && \\\n"
    "  augur-scheduler --listen 0.0.0.0:7070 --tls-cert /etc/augur/tls/scheduler.crt \\\n"
    "    --tls-key /etc/augur/tls/scheduler.key --tokens-file /etc/augur/tokens\n\nflags:\n";

int Run(int argc, char** argv) {
  augur::ServerOptions options;
  int64_t lease_ttl_ms = 30000, heartbeat_ms = 5000, max_points = 5000, max_message_kb = 16384;
  int64_t max_sessions = 512, max_queued = 100'000;
  bool help = false;
  augur::dashboard::DashboardOptions dashboard;
  augur::FlagSet flags;
  flags.AddString("listen", "HOST:PORT", "address to serve on (port 0 picks one)",
                  &options.listen_address);
  flags.AddString("db", "PATH", "SQLite store, created if missing", &options.db_path);
  flags.AddString("tokens-file", "PATH",
                  "bearer tokens by role ('ROLE TOKEN [NAME]' lines); none = open (loopback only)",
                  &options.tokens_file);
  augur::AddServerTlsFlags(flags, &options.tls);
  flags.AddBool("insecure",
                "serve off loopback without TLS or tokens (warned about at start and to clients)",
                &options.insecure);
  flags.AddInt("lease-ttl-ms", "MS", "a lease not renewed for this long expires", &lease_ttl_ms);
  flags.AddInt("heartbeat-ms", "MS", "heartbeat period asked of workers", &heartbeat_ms);
  flags.AddInt("max-points-per-batch", "N", "larger point batches are rejected", &max_points);
  flags.AddInt("max-message-kb", "KB", "larger messages end the call RESOURCE_EXHAUSTED",
               &max_message_kb);
  augur::SweepLimits& limits = options.scheduler.limits;
  flags.AddInt("max-trials-per-sweep", "N", "larger sweeps are refused at submit (0 = no limit)",
               &limits.max_trials);
  flags.AddInt(
      "max-points-per-trial", "N",
      "sweeps whose longest trial has more steps (a point each) are refused (0 = no limit)",
      &limits.max_points_per_trial);
  flags.AddInt("max-tokens-per-sweep", "N",
               "sweeps that would train more tokens if every trial ran to the end are refused "
               "(0 = no limit)",
               &limits.max_tokens);
  flags.AddInt("max-sessions", "N", "worker sessions at once; more are refused RESOURCE_EXHAUSTED",
               &max_sessions);
  flags.AddInt("max-queued-messages", "N",
               "answers waiting for one worker to read them; more close its session", &max_queued);
  flags.AddString("dashboard", "HOST:PORT",
                  "serve the web dashboard here (plain HTTP; port 0 picks one; 'off' = none)",
                  &dashboard.listen);
  flags.AddBool("dashboard-actions", "allow stop/pause/resume/tag from the dashboard",
                &dashboard.allow_actions);
  flags.AddBool("help", "show this help", &help);
  std::vector<std::string> args(argv + 1, argv + argc);
  auto rest = flags.Parse(args);
  if (!rest.ok() || help || !rest->empty()) {
    if (!rest.ok()) std::fprintf(stderr, "augur-scheduler: %s\n", rest.status().message().data());
    if (rest.ok() && !rest->empty())
      std::fprintf(stderr, "augur-scheduler: unexpected argument %s\n", (*rest)[0].c_str());
    std::fprintf(help ? stdout : stderr, "%s%s", kUsage, flags.Help().c_str());
    return help && rest.ok() ? 0 : 2;
  }
  if (lease_ttl_ms <= 0 || heartbeat_ms <= 0 || heartbeat_ms * 2 > lease_ttl_ms) {
    std::fprintf(
        stderr, "augur-scheduler: need 0 < 2 x --heartbeat-ms <= --lease-ttl-ms (got %lld, %lld)\n",
        static_cast<long long>(heartbeat_ms), static_cast<long long>(lease_ttl_ms));
    return 2;
  }
  options.scheduler.lease_ttl = absl::Milliseconds(lease_ttl_ms);
  options.scheduler.heartbeat_interval = absl::Milliseconds(heartbeat_ms);
  options.scheduler.max_points_per_batch = static_cast<int>(max_points);
  options.max_message_bytes = static_cast<int>(max_message_kb * 1024);
  options.scheduler.max_sessions = static_cast<size_t>(std::max<int64_t>(1, max_sessions));
  options.scheduler.max_queued_per_session = static_cast<size_t>(std::max<int64_t>(1, max_queued));
  augur::SetLogComponent("augur-scheduler");
  augur::RouteGrpcLogs();

  augur::BlockTerminationSignals();
  augur::BlockReloadSignal();
  auto server = augur::SchedulerServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "augur-scheduler: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  dashboard.tokens_file = options.tokens_file;
  dashboard.tls = options.tls;      // The same certificate serves the dashboard over HTTPS.
  if (dashboard.listen != "off") {  // The gRPC port's rule, for the dashboard's address.
    auto warning =
        augur::CheckListenPolicy(dashboard.listen, {.tls = dashboard.tls.enabled(),
                                                    .tokens = !dashboard.tokens_file.empty(),
                                                    .insecure = options.insecure});
    if (!warning.ok()) {
      std::fprintf(stderr, "augur-scheduler: dashboard: %s\n",
                   std::string(warning.status().message()).c_str());
      return 1;
    }
    if (!warning->empty())
      std::fprintf(stderr, "augur-scheduler: dashboard: %s\n", warning->c_str());
  }
  auto web = augur::dashboard::StartUnlessOff((*server)->scheduler(), dashboard);
  if (!web.ok()) {
    std::fprintf(stderr, "augur-scheduler: %s\n", std::string(web.status().message()).c_str());
    return 1;
  }
  if (*web) std::printf("augur-scheduler dashboard at %s\n", (*web)->url().c_str());
  std::printf("augur-scheduler listening on %s (store: %s)\n", (*server)->address().c_str(),
              options.db_path.c_str());
  std::fflush(stdout);
  std::thread reload([&server] {
    while (true) {
      augur::WaitForReloadSignal();
      (*server)->ReloadTokens().IgnoreError();  // Logged either way.
    }
  });
  reload.detach();  // Blocked in sigwait until the process exits.
  const int sig = augur::WaitForTerminationSignal();
  std::fprintf(stderr, "augur-scheduler: signal %d, shutting down\n", sig);
  if (*web) (*web)->Stop();
  (*server)->Shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
