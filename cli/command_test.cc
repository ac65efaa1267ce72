#include "cli/command.h"

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace augur::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Prints the scheduler address, to test where it comes from.
class AddressCommand : public Command {
 public:
  std::string name() const override { return "address"; }
  std::string summary() const override { return "Print the scheduler address"; }
  std::string description() const override { return "Test command.\n"; }
  std::string examples() const override { return "augur address --fail   # fails\n"; }
  void AddFlags(FlagSet& flags) override { flags.AddBool("fail", "Fail", &fail_); }
  absl::Status Run(Invocation& inv) override {
    if (fail_) return absl::InternalError("asked to fail");
    absl::StatusOr<std::string> address = inv.SchedulerAddress();
    if (!address.ok()) return address.status();
    inv.out() << *address << (inv.output() == OutputFormat::kJson ? " json" : "") << "\n";
    return absl::OkStatus();
  }

 private:
  bool fail_ = false;
};

struct Result {
  int code;
  std::string out;
  std::string err;
};

Result RunWith(CommandRegistry registry, std::vector<std::string> args,
               std::map<std::string, std::string> env = {}) {
  std::ostringstream out, err;
  const int code = registry.Run(args, out, err, [env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
  return {code, out.str(), err.str()};
}

CommandRegistry TestRegistry() {
  CommandRegistry r;
  r.Add(std::make_unique<AddressCommand>());
  return r;
}

TEST(CommandRegistryTest, SchedulerAddressComesFromFlagThenEnvThenDefault) {
  EXPECT_EQ(RunWith(TestRegistry(), {"address"}).out, "127.0.0.1:7070\n");
  EXPECT_EQ(RunWith(TestRegistry(), {"address"}, {{"AUGUR_SCHEDULER", "env:1"}}).out, "env:1\n");
  EXPECT_EQ(
      RunWith(TestRegistry(), {"--scheduler", "flag:2", "address"}, {{"AUGUR_SCHEDULER", "e:1"}})
          .out,
      "flag:2\n");
  EXPECT_EQ(RunWith(TestRegistry(), {"address", "--scheduler=[::1]:9", "--output", "json"}).out,
            "[::1]:9 json\n");
}

TEST(CommandRegistryTest, BadSchedulerAddressIsAUsageErrorNamingItsSource) {
  Result r = RunWith(TestRegistry(), {"address"}, {{"AUGUR_SCHEDULER", "nohost"}});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, StartsWith("augur address: $AUGUR_SCHEDULER: got `nohost`, expected "
                                "HOST:PORT"));
  r = RunWith(TestRegistry(), {"address", "--scheduler", "h:70000"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("--scheduler: got `h:70000`, expected HOST:PORT with a port"));
}

TEST(CommandRegistryTest, FailureIsExitOneWithOneLineReason) {
  Result r = RunWith(TestRegistry(), {"address", "--fail"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_EQ(r.err, "augur address: asked to fail\n");
}

TEST(CommandRegistryTest, UsageErrorsExitTwo) {
  Result r = RunWith(TestRegistry(), {});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("Usage: augur"));
  r = RunWith(TestRegistry(), {"adress"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("unknown command `adress`; did you mean `address`?"));
  r = RunWith(TestRegistry(), {"address", "--output", "xml"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("--output: got `xml`"));
  r = RunWith(TestRegistry(), {"--bogus", "address"});
  EXPECT_EQ(r.code, kExitUsage);
}

TEST(CommandRegistryTest, HelpForTopLevelAndCommands) {
  Result r = RunWith(TestRegistry(), {"--help"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_THAT(r.out, HasSubstr("  address  Print the scheduler address\n"));
  EXPECT_THAT(r.out, HasSubstr("--scheduler HOST:PORT"));
  for (auto args : std::vector<std::vector<std::string>>{
           {"address", "--help"}, {"address", "-h"}, {"help", "address"}}) {
    r = RunWith(TestRegistry(), args);
    EXPECT_EQ(r.code, kExitOk);
    EXPECT_THAT(r.out, StartsWith("Usage: augur address [flags]\n"));
    EXPECT_THAT(r.out, HasSubstr("--fail"));
  }
}

TEST(CommandRegistryTest, EveryAugurCommandHasHelp) {
  Result r = RunWith(MakeAugurCommands(), {"--help"});
  ASSERT_EQ(r.code, kExitOk);
  for (const char* name :
       {"validate", "submit", "run", "ls", "status", "top", "curves", "export", "stop", "pause",
        "resume", "delete", "tag", "note", "workers", "version"}) {
    EXPECT_THAT(r.out, HasSubstr(std::string("  ") + name + " ")) << name;
    Result help = RunWith(MakeAugurCommands(), {name, "--help"});
    EXPECT_EQ(help.code, kExitOk) << name;
    EXPECT_THAT(help.out, StartsWith(std::string("Usage: augur ") + name)) << name;
    // Every help ends with examples of the command itself.
    EXPECT_THAT(help.out, HasSubstr("\nExamples:\n  augur " + std::string(name))) << name;
  }
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"help", "--help"}, {"help", "help"}, {"--help", "help"}}) {
    Result help = RunWith(MakeAugurCommands(), args);
    EXPECT_EQ(help.code, kExitOk) << args[0] << " " << args[1];
    EXPECT_THAT(help.out, StartsWith("Usage: augur help [COMMAND]"));
    EXPECT_THAT(help.out, HasSubstr("Examples:\n  augur help "));
  }
}

TEST(CommandRegistryTest, SchedulerCommandsCheckTheirCommandLineFirst) {
  Result r = RunWith(MakeAugurCommands(), {"status"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, StartsWith("augur status: expected one sweep id"));
  r = RunWith(MakeAugurCommands(), {"ls", "--scheduler", "nohost"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("--scheduler: got `nohost`"));
  r = RunWith(MakeAugurCommands(), {"submit", "/nonexistent/x.yaml"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_THAT(r.err, StartsWith("augur submit: cannot read spec file /nonexistent/x.yaml"));
}

TEST(CommandRegistryTest, VersionPrintsVersion) {
  Result r = RunWith(MakeAugurCommands(), {"version"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_THAT(r.out, StartsWith("augur "));
  EXPECT_EQ(RunWith(MakeAugurCommands(), {"version", "extra"}).code, kExitUsage);
}

}  // namespace
}  // namespace augur::cli
