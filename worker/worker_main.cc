// augur-worker: the worker daemon. Flags are parsed here; the daemon is worker/worker_daemon.h,
// trials run as augur-train child processes (worker/process_trial_runner.h).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/client_auth.h"
#include "common/client_token.h"
#include "common/flags.h"
#include "common/grpc_log.h"
#include "common/log.h"
#include "common/signals.h"
#include "common/tls_options.h"
#include "worker/devices.h"
#include "worker/process_trial_runner.h"
#include "worker/worker_daemon.h"

namespace {

namespace fs = std::filesystem;

constexpr char kUsage[] =
    "usage: augur-worker --scheduler HOST:PORT [flags]\n\n"
    "Runs trials for an Augur scheduler: registers this machine's GPUs (or CPU slots), takes\n"
    "leases, runs each trial as an augur-train child process, streams its loss points, obeys\n"
    "stop and pause orders, and reconnects when the scheduler restarts. SIGINT or SIGTERM\n"
    "pause running trials (they checkpoint and resume elsewhere) and exit.\n\nflags:\n";

int Run(int argc, char** argv) {
  std::string scheduler = "127.0.0.1:7070";
  if (const char* env = std::getenv("AUGUR_SCHEDULER")) scheduler = env;
  std::string worker_id = augur::LocalHostname() + "-" + std::to_string(getpid());
  std::string work_dir = "augur-work";
  std::string train_binary = augur::FindTrainBinaryNearSelf();
  if (train_binary.empty()) train_binary = "augur-train";  // From PATH.
  std::string token, token_file;
  int64_t gpus = -1, cpu_slots = 0, threads = 0;
  bool help = false;
  augur::FlagSet flags;
  flags.AddString("scheduler", "HOST:PORT", "scheduler address (env AUGUR_SCHEDULER)", &scheduler);
  flags.AddString("worker-id", "ID", "stable id of this worker", &worker_id);
  flags.AddInt("gpus", "N", "GPUs to offer; -1 = all that pass the self-test", &gpus);
  flags.AddInt("cpu-slots", "N", "CPU trials at once when no GPU is offered; 0 = cores/threads",
               &cpu_slots);
  flags.AddInt("threads-per-trial", "N", "intra-op threads per CPU trial; 0 = cores/slots",
               &threads);
  flags.AddString("work-dir", "DIR", "where trial configs, curves and checkpoints go", &work_dir);
  flags.AddString("train-binary", "PATH", "the trainer to run", &train_binary);
  flags.AddString("token", "TOKEN",
                  "bearer token (role worker) for a scheduler with --tokens-file; else "
                  "--token-file, else $AUGUR_TOKEN",
                  &token);
  flags.AddString("token-file", "PATH", "file whose first line is the bearer token", &token_file);
  augur::TlsClientFiles tls;
  augur::AddClientTlsFlags(flags, &tls);
  flags.AddBool("help", "show this help", &help);
  std::vector<std::string> args(argv + 1, argv + argc);
  auto rest = flags.Parse(args);
  if (!rest.ok() || help || !rest->empty()) {
    if (!rest.ok()) std::fprintf(stderr, "augur-worker: %s\n", rest.status().message().data());
    std::fprintf(help ? stdout : stderr, "%s%s", kUsage, flags.Help().c_str());
    return help && rest.ok() ? 0 : 2;
  }
  auto bearer = augur::ResolveClientToken(token, token_file, std::getenv(augur::kTokenEnv));
  if (!bearer.ok()) {
    std::fprintf(stderr, "augur-worker: %s\n", std::string(bearer.status().message()).c_str());
    return 2;
  }
  augur::ClientTlsFromEnv([](const char* name) { return std::getenv(name); }, &tls);
  augur::SetLogComponent("augur-worker");
  augur::RouteGrpcLogs();
  augur::DeviceOptions dev;
  dev.gpus = static_cast<int>(gpus);
  dev.cpu_slots = static_cast<int>(cpu_slots);
  dev.threads_per_trial = static_cast<int>(threads);
  auto inventory = augur::DiscoverDevices(dev, augur::ProbeGpus(),
                                          static_cast<int>(std::thread::hardware_concurrency()));
  if (!inventory.ok()) {
    std::fprintf(stderr, "augur-worker: %s\n", std::string(inventory.status().message()).c_str());
    return 2;
  }
  augur::ProcessRunnerOptions runner_options;
  runner_options.train_binary = train_binary;
  runner_options.work_dir = work_dir;
  runner_options.threads_per_trial = inventory->threads_per_trial;
  augur::ProcessTrialRunner runner(runner_options);

  augur::WorkerOptions options;
  options.worker_id = worker_id;
  options.hostname = augur::LocalHostname();
  options.gpus = static_cast<int>(inventory->gpus.size());
  for (const augur::GpuInfo& g : inventory->gpus) options.gpu_devices.push_back(g.index);
  options.cpu_slots = inventory->cpu_slots;
  options.device = inventory->description;

  augur::BlockTerminationSignals();
  // Credentials and the token are chosen in one place (common/client_auth.h).
  auto channel = augur::SchedulerChannel(scheduler, {*bearer, tls});
  if (!channel.ok()) {
    std::fprintf(stderr, "augur-worker: %s\n", std::string(channel.status().message()).c_str());
    return 2;
  }
  augur::WorkerDaemon daemon(options, *channel, &runner);
  std::thread signals([&] {
    const int sig = augur::WaitForTerminationSignal();
    std::fprintf(stderr, "augur-worker: signal %d, pausing trials and leaving\n", sig);
    daemon.Shutdown();
  });
  signals.detach();
  std::printf("augur-worker %s: %s, scheduler %s, trainer %s\n", worker_id.c_str(),
              inventory->description.c_str(), scheduler.c_str(), train_binary.c_str());
  std::fflush(stdout);
  daemon.Run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
