// stop, pause, resume (a trial, or with stop a whole sweep), delete, tag and note: what users
// do to trials and sweeps. Trial and sweep arguments are resolved by cli/trial_ref.h.
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/client.h"
#include "cli/remote_commands.h"
#include "cli/script_json.h"
#include "cli/sweep_view.h"
#include "cli/trial_ref.h"
#include "common/text.h"

namespace augur::cli {
namespace {

enum class Action { kStop, kPause, kResume };

class TrialActionCommand : public Command {
 public:
  explicit TrialActionCommand(Action action) : action_(action) {}
  std::string name() const override {
    return action_ == Action::kStop ? "stop" : action_ == Action::kPause ? "pause" : "resume";
  }
  std::string args_usage() const override {
    return action_ == Action::kStop ? "SWEEP | TRIAL | SWEEP TRIAL" : "TRIAL | SWEEP TRIAL";
  }
  std::string summary() const override {
    switch (action_) {
      case Action::kStop:
        return "Stop a sweep (cancel it) or one trial (it ends CANCELLED)";
      case Action::kPause:
        return "Pause a trial, keeping its checkpoint";
      default:
        return "Resume a paused trial from its checkpoint";
    }
  }
  std::string description() const override {
    const char* what =
        action_ == Action::kStop
            ? "Given a sweep, cancels it: its running trials are told to stop at once, its\n"
              "pending and paused trials never start, and the sweep ends CANCELLED (who did it\n"
              "is recorded). Fails if the sweep is already done.\n"
              "Given a trial, stops that pending, running or paused trial; it ends CANCELLED.\n"
              "Fails if the trial already ended.\n"
        : action_ == Action::kPause
            ? "Pauses a running or pending trial; it keeps its last checkpoint and resumes from\n"
              "it with `augur resume`.\n"
            : "Resumes a paused trial from its last checkpoint.\n";
    return Cat(what,
               "TRIAL is a full id (s-20261122-080140-1a2b/t007), or a short one (t007) after\n"
               "the sweep or alone when exactly one sweep is running. An unknown trial is an\n"
               "error naming the sweep's trials.\n");
  }
  std::string examples() const override {
    switch (action_) {
      case Action::kStop:
        return "augur stop s-20261122-080140-1a2b              # cancel the whole sweep\n"
               "augur stop s-20261122-080140-1a2b t007 --reason 'bad lr'\n"
               "augur stop t007                                # in the one running sweep\n";
      case Action::kPause:
        return "augur pause s-20261122-080140-1a2b t003\n"
               "augur pause s-20261122-080140-1a2b/t003 --output json\n";
      default:
        return "augur resume s-20261122-080140-1a2b t003\n";
    }
  }
  void AddFlags(FlagSet& flags) override {
    flags.AddString("reason", "TEXT", "Recorded with the action", &reason_);
  }
  absl::Status Run(Invocation& inv) override {
    auto client = ConnectFor(inv);
    if (!client.ok()) return client.status();
    SchedulerClient& c = **client;
    absl::StatusOr<TargetRef> target =
        ResolveTarget(c, inv.args(), name(), action_ == Action::kStop);
    if (!target.ok()) return target.status();
    if (target->trial_id.empty()) return CancelSweep(c, target->sweep_id, inv);
    v1::TrialActionRequest request;
    request.set_trial_id(target->trial_id);
    request.set_reason(reason_.empty() ? Cat(name(), " by augur ", name()) : reason_);
    v1::TrialActionResponse response;
    auto context = SchedulerClient::Context();
    grpc::Status status;
    const char* call = "StopTrial";
    switch (action_) {
      case Action::kStop:
        status = c.stub().StopTrial(context.get(), request, &response);
        break;
      case Action::kPause:
        call = "PauseTrial";
        status = c.stub().PauseTrial(context.get(), request, &response);
        break;
      case Action::kResume:
        call = "ResumeTrial";
        status = c.stub().ResumeTrial(context.get(), request, &response);
        break;
    }
    if (absl::Status s = c.Check(status, call); !s.ok()) {
      return WithTrialHint(s, target->sweep_id);
    }
    response.mutable_trial()->clear_config();
    if (inv.output() == OutputFormat::kJson) {
      inv.out() << ScriptJson(response).dump(2) << "\n";
    } else {
      inv.out() << TrialActionLine(response.trial(), action_ == Action::kPause) << "\n";
    }
    return absl::OkStatus();
  }

 private:
  absl::Status CancelSweep(SchedulerClient& c, const std::string& sweep_id, Invocation& inv) {
    v1::CancelSweepRequest request;
    request.set_sweep_id(sweep_id);
    request.set_reason(reason_);
    v1::CancelSweepResponse response;
    auto context = SchedulerClient::Context();
    if (absl::Status s =
            c.Check(c.stub().CancelSweep(context.get(), request, &response), "CancelSweep");
        !s.ok()) {
      return s;
    }
    if (inv.output() == OutputFormat::kJson) {
      inv.out() << ScriptJson(response).dump(2) << "\n";
    } else {
      inv.out() << "sweep " << sweep_id << " (" << response.sweep().spec().name()
                << "): " << SweepStateName(response.sweep().state()) << ", "
                << TrialCountsText(response.sweep()) << "\n";
    }
    return absl::OkStatus();
  }

  Action action_;
  std::string reason_;
};

class DeleteCommand : public Command {
 public:
  std::string name() const override { return "delete"; }
  std::string args_usage() const override { return "SWEEP"; }
  std::string summary() const override { return "Delete a sweep with its trials and curves"; }
  std::string description() const override {
    return "Deletes the sweep from the scheduler's store: its trials, their points, checkpoint\n"
           "records and stopping decisions (checkpoint files on the workers stay). A running\n"
           "sweep is refused unless --force, which cancels it first. The event log keeps a\n"
           "record of the delete and who made it. There is no undo.\n";
  }
  std::string examples() const override {
    return "augur delete s-20261122-080140-1a2b\n"
           "augur delete s-20261122-080140-1a2b --force   # even while it runs\n";
  }
  void AddFlags(FlagSet& flags) override {
    flags.AddBool("force", "Delete a running sweep too (cancelling it first)", &force_);
  }
  absl::Status Run(Invocation& inv) override {
    if (inv.args().size() != 1) return UsageError("expected one sweep id");
    auto client = ConnectFor(inv);
    if (!client.ok()) return client.status();
    v1::DeleteSweepRequest request;
    request.set_sweep_id(inv.args()[0]);
    request.set_force(force_);
    v1::DeleteSweepResponse response;
    auto context = SchedulerClient::Context();
    if (absl::Status s = (*client)->Check(
            (*client)->stub().DeleteSweep(context.get(), request, &response), "DeleteSweep");
        !s.ok()) {
      return s;
    }
    if (inv.output() == OutputFormat::kJson) {
      inv.out() << ScriptJson(response).dump(2) << "\n";
    } else {
      inv.out() << "deleted sweep " << response.sweep_id() << " with " << response.trials_deleted()
                << " trials\n";
    }
    return absl::OkStatus();
  }

 private:
  bool force_ = false;
};

// `tag` and `note`: AnnotateSweep.
class AnnotateCommand : public Command {
 public:
  explicit AnnotateCommand(bool note) : note_(note) {}
  std::string name() const override { return note_ ? "note" : "tag"; }
  std::string args_usage() const override { return note_ ? "SWEEP TEXT" : "SWEEP TAG..."; }
  std::string summary() const override {
    return note_ ? "Attach a note to a sweep" : "Add (or remove) tags of a sweep";
  }
  std::string description() const override {
    return note_ ? "Replaces the sweep's note with TEXT (one argument: quote it); --clear removes\n"
                   "it. `augur status` shows the note; the event log records who set it.\n"
                 : "Adds each TAG to the sweep (or removes it with --remove). Tags have no\n"
                   "whitespace; `augur ls` and `augur status` show them; the event log records\n"
                   "who changed them.\n";
  }
  std::string examples() const override {
    return note_ ? "augur note s-20261122-080140-1a2b 'baseline for the tau study'\n"
                   "augur note s-20261122-080140-1a2b --clear\n"
                 : "augur tag s-20261122-080140-1a2b baseline tau-study\n"
                   "augur tag s-20261122-080140-1a2b baseline --remove\n";
  }
  void AddFlags(FlagSet& flags) override {
    if (note_) {
      flags.AddBool("clear", "Remove the note", &clear_);
    } else {
      flags.AddBool("remove", "Remove the tags instead of adding them", &remove_);
    }
  }
  absl::Status Run(Invocation& inv) override {
    const auto& args = inv.args();
    v1::AnnotateSweepRequest request;
    if (note_) {
      if (args.size() != (clear_ ? 1u : 2u)) {
        return UsageError(clear_ ? "expected SWEEP with --clear" : "expected SWEEP TEXT");
      }
      request.set_set_note(true);
      if (!clear_) request.set_note(args[1]);
    } else {
      if (args.size() < 2) return UsageError("expected SWEEP and at least one TAG");
      for (size_t i = 1; i < args.size(); ++i) {
        (remove_ ? request.add_remove_tags() : request.add_add_tags())->assign(args[i]);
      }
    }
    request.set_sweep_id(args[0]);
    auto client = ConnectFor(inv);
    if (!client.ok()) return client.status();
    v1::AnnotateSweepResponse response;
    auto context = SchedulerClient::Context();
    if (absl::Status s = (*client)->Check(
            (*client)->stub().AnnotateSweep(context.get(), request, &response), "AnnotateSweep");
        !s.ok()) {
      return s;
    }
    const v1::Sweep& sweep = response.sweep();
    if (inv.output() == OutputFormat::kJson) {
      inv.out() << ScriptJson(response).dump(2) << "\n";
    } else if (note_) {
      inv.out() << "sweep " << sweep.sweep_id() << ": "
                << (sweep.note().empty() ? "no note" : Cat("note: ", sweep.note())) << "\n";
    } else {
      std::vector<std::string> tags(sweep.tags().begin(), sweep.tags().end());
      inv.out() << "sweep " << sweep.sweep_id() << ": "
                << (tags.empty() ? "no tags" : Cat("tags: ", JoinText(tags, " "))) << "\n";
    }
    return absl::OkStatus();
  }

 private:
  const bool note_;
  bool clear_ = false;
  bool remove_ = false;
};

}  // namespace

std::unique_ptr<Command> MakeStopCommand() {
  return std::make_unique<TrialActionCommand>(Action::kStop);
}
std::unique_ptr<Command> MakePauseCommand() {
  return std::make_unique<TrialActionCommand>(Action::kPause);
}
std::unique_ptr<Command> MakeResumeCommand() {
  return std::make_unique<TrialActionCommand>(Action::kResume);
}
std::unique_ptr<Command> MakeDeleteCommand() { return std::make_unique<DeleteCommand>(); }
std::unique_ptr<Command> MakeTagCommand() { return std::make_unique<AnnotateCommand>(false); }
std::unique_ptr<Command> MakeNoteCommand() { return std::make_unique<AnnotateCommand>(true); }

}  // namespace augur::cli
