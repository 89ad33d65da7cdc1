// File: tests/support/command_run.h
//
// Runs one of lmc's commands (lmc-invoke, lmc-emulator, lmc-durable, ...) as a real process for
// an end-to-end test and hands back its exit code and everything it wrote. A hung command fails
// the test after a bound (60 s) instead of hanging CI; it is not a sleep.
//
// Example:
//
//   const lmc::integration::CommandResult r = lmc::integration::RunCommand(
//       {LMC_INVOKE_PATH, "--bootstrap", path, "--event", "{}"});
//   EXPECT_EQ(r.code, 0) << r.out << r.err;
//
//   // A command that must keep running while the test does something else:
//   std::unique_ptr<lmc::emulator::Subprocess> serve = StartCommand({path, "--serve"});
//   ...
//   const CommandResult r = FinishCommand(*serve);
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tools/emulator/subprocess.h"

namespace lmc::integration {

// What a finished command did: its exit code (128 + N when signal N ended it) and its output.
struct CommandResult {
  int code = -1;
  std::string out;
  std::string err;
};

// Starts `argv` with this process's environment plus `env` ("NAME=value"), its standard input
// read from `stdin_path` when not empty. A start failure fails the test and gives nullptr.
std::unique_ptr<emulator::Subprocess> StartCommand(std::vector<std::string> argv,
                                                   const std::string& stdin_path = "",
                                                   std::vector<std::string> env = {});

// Waits for `command` to exit (the test fails if it has not after 60 s) and collects its result.
CommandResult FinishCommand(emulator::Subprocess& command);

// StartCommand() then FinishCommand(); a command that did not start gives code -1.
CommandResult RunCommand(std::vector<std::string> argv, const std::string& stdin_path = "",
                         std::vector<std::string> env = {});

}  // namespace lmc::integration
