#include "tests/support/command_run.h"

#include <utility>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace lmc::integration {

using emulator::Subprocess;

// A bound for hung commands, not a sleep: every command under test ends well within it.
constexpr absl::Duration kWait = absl::Seconds(60);

std::unique_ptr<Subprocess> StartCommand(std::vector<std::string> argv,
                                         const std::string& stdin_path,
                                         std::vector<std::string> env) {
  Subprocess::Options options;
  options.argv = std::move(argv);
  options.inherit_env = true;
  options.env = std::move(env);
  options.stdin_path = stdin_path;
  absl::StatusOr<std::unique_ptr<Subprocess>> started = Subprocess::Start(std::move(options));
  EXPECT_TRUE(started.ok()) << started.status();
  return started.ok() ? *std::move(started) : nullptr;
}

CommandResult FinishCommand(Subprocess& command) {
  EXPECT_TRUE(command.WaitForExit(kWait)) << "command did not finish";
  CommandResult result;
  const Subprocess::ExitStatus status = command.exit_status();
  result.code = status.exited ? status.code : 128 + status.signal;
  result.out = command.stdout_text();
  result.err = command.stderr_text();
  return result;
}

CommandResult RunCommand(std::vector<std::string> argv, const std::string& stdin_path,
                         std::vector<std::string> env) {
  std::unique_ptr<Subprocess> command = StartCommand(std::move(argv), stdin_path, std::move(env));
  return command == nullptr ? CommandResult{} : FinishCommand(*command);
}

}  // namespace lmc::integration
