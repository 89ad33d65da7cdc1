// File: tests/support/bootstrap_fixture.h
//
// BootstrapTest: a GoogleTest fixture that runs a real bootstrap executable (by default
// `bootstrap`; $LMC_TEST_BOOTSTRAP or set_binary() name another) against an in-process Runtime
// API emulator, for end-to-end tests anywhere in the tree: tests/integration/ and the handlers'
// *_integration_test.cc link it (library lmc_bootstrap_fixture). Each test gets a fresh
// emulator, a private TMPDIR for the bootstrap (removed afterwards) and helpers to read the
// bootstrap's log lines.
//
// Example:
//
//   TEST_F(BootstrapTest, EchoesEvents) {
//     StartEmulator();
//     emulator().Enqueue({.body = "{}"});
//     StartBootstrap("echo");
//     ASSERT_TRUE(emulator().WaitForClosed(1, kWait));
//     EXPECT_EQ(Terminate().code, 0);
//   }
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "simdjson.h"
#include "tools/emulator/emulator.h"
#include "tools/emulator/subprocess.h"

namespace lmc::integration {

// Upper bound for any wait in these tests: generous, because sanitizer builds on a loaded
// 2-core CI machine are slow. Tests never rely on it for correctness, only to fail instead of
// hanging.
inline const absl::Duration kWait = absl::Seconds(120);

// One parsed JSON log line.
struct LogLine {
  std::string raw;
  std::string level;
  std::string message;
  std::optional<std::string> request_id;
  std::optional<std::string> tenant_id;
  std::optional<std::string> trace_id;
};

class BootstrapTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts the emulator. Call before StartBootstrap().
  void StartEmulator(emulator::EmulatorOptions options = {});

  // Spawns bootstrap with _HANDLER=`handler`, AWS_LAMBDA_RUNTIME_API pointing at the emulator,
  // TMPDIR=tmp_root(), plus `extra_env` ("K=V"; a later entry overrides an earlier one).
  void StartBootstrap(const std::string& handler, std::vector<std::string> extra_env = {});

  // Runs `path` instead of bootstrap (and instead of $LMC_TEST_BOOTSTRAP). Call before
  // StartBootstrap().
  void set_binary(std::string path) { binary_ = std::move(path); }

  // Sends SIGTERM and waits for the process to exit.
  emulator::Subprocess::ExitStatus Terminate();

  // Waits for the process to exit on its own.
  emulator::Subprocess::ExitStatus WaitForExit();

  // The bootstrap's stdout lines (without the newline).
  std::vector<std::string> StdoutLines() const;
  // Every stdout and stderr line parsed as a JSON log line; fails the test for a line that is
  // not a JSON object with "timestamp", "level" and "message".
  std::vector<LogLine> JsonLogLines() const;

  // Note: Emulator::WaitFor() evaluates its predicate with the emulator's lock held; the
  // predicate may read the Stats it is given but must not call back into the emulator.
  emulator::Emulator& emulator() { return *emulator_; }
  emulator::Subprocess& bootstrap() { return *bootstrap_; }
  const std::filesystem::path& tmp_root() const { return tmp_root_; }

  // Enqueues `count` events with `body` and returns their request ids.
  std::vector<std::string> EnqueueMany(const std::string& body, int count);

 private:
  std::string binary_;  // empty: bootstrap
  std::unique_ptr<emulator::Emulator> emulator_;
  std::unique_ptr<emulator::Subprocess> bootstrap_;
  std::filesystem::path tmp_root_;
};

// Parses `json` (a response body) with simdjson's DOM parser; fails the test when invalid.
simdjson::dom::element ParseJson(simdjson::dom::parser& parser, const std::string& json);

// The request ids the emulator generates are unique; tests that need to name them use this.
std::string RequestIdFor(const std::string& prefix, int index);

}  // namespace lmc::integration
