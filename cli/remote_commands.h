// The `augur` commands beyond `validate` and `version`: factories used by MakeAugurCommands.
// Each talks to a scheduler through SchedulerClient (cli/client.h), except `run`, which starts
// its own (cli/run_command.cc).
#ifndef AUGUR_CLI_REMOTE_COMMANDS_H_
#define AUGUR_CLI_REMOTE_COMMANDS_H_

#include <memory>
#include <ostream>
#include <vector>

#include "absl/status/statusor.h"
#include "augur/v1/sweep.pb.h"
#include "cli/client.h"
#include "cli/command.h"

namespace augur::cli {

std::unique_ptr<Command> MakeSubmitCommand();
std::unique_ptr<Command> MakeListCommand();
std::unique_ptr<Command> MakeStatusCommand();
std::unique_ptr<Command> MakeTopCommand();
std::unique_ptr<Command> MakeCurvesCommand();
std::unique_ptr<Command> MakeExportCommand();
std::unique_ptr<Command> MakeStopCommand();
std::unique_ptr<Command> MakePauseCommand();
std::unique_ptr<Command> MakeResumeCommand();
std::unique_ptr<Command> MakeDeleteCommand();
std::unique_ptr<Command> MakeTagCommand();
std::unique_ptr<Command> MakeNoteCommand();
std::unique_ptr<Command> MakeWorkersCommand();
std::unique_ptr<Command> MakeRunCommand();
// cli/certs_command.cc: TLS files and tokens for a cluster.
std::unique_ptr<Command> MakeCertsCommand();
std::unique_ptr<Command> MakeTokenCommand();

// The scheduler of the invocation (--scheduler, $AUGUR_SCHEDULER or the default), connected.
absl::StatusOr<std::unique_ptr<SchedulerClient>> ConnectFor(const Invocation& inv);

// "sweep ID (NAME): STATE, trials by state" and the tokens line; shared by status/top/run.
void PrintSweepHeader(const v1::Sweep& sweep, std::ostream& out);
// One line per stop decision: time, trial, milestone, reason.
void PrintDecisions(const std::vector<v1::Decision>& decisions, std::ostream& out);

}  // namespace augur::cli

#endif  // AUGUR_CLI_REMOTE_COMMANDS_H_
