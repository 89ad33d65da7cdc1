// _HANDLER=libname.so:handler: the bootstrap loads the handler from a plugin in
// LAMBDA_TASK_ROOT (lmc/plugin.h) and serves it, or reports why not through /init/error.
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "tests/support/bootstrap_fixture.h"

namespace lmc::integration {
namespace {

using ::testing::HasSubstr;

const std::string kTaskRoot = std::string("LAMBDA_TASK_ROOT=") + LMC_TEST_PLUGIN_DIR;

TEST_F(BootstrapTest, PluginHandlerServesEvents) {
  StartEmulator();
  EnqueueMany("stressed", 2);
  StartBootstrap("libhello_plugin.so:reverse", {kTaskRoot, "AWS_LAMBDA_MAX_CONCURRENCY=2"});
  ASSERT_TRUE(emulator().WaitForClosed(2, kWait));
  EXPECT_EQ(emulator().stats().responses, 2u);
  for (const auto& record : emulator().records()) {
    ASSERT_EQ(record.answers.size(), 1u);
    EXPECT_EQ(record.answers[0].body, "desserts");
  }
  EXPECT_EQ(Terminate().code, 0);
}

// A plugin with its own model on lmc's batching (functions/plugins/batching_plugin.cc): eight
// concurrent invocations meet in one batch (it can only close when all eight are queued: the
// wait is a minute) and each gets the score of its own features.
TEST_F(BootstrapTest, PluginBatchesConcurrentInvocationsWithItsOwnModel) {
  constexpr int kInvocations = 8;
  StartEmulator();
  for (int i = 0; i < kInvocations; ++i) {
    emulator().Enqueue({.body = absl::StrCat(R"({"features":[)", i, ",0,0,1]}")});
  }
  StartBootstrap("libbatching_plugin.so:score",
                 {kTaskRoot, absl::StrCat("AWS_LAMBDA_MAX_CONCURRENCY=", kInvocations),
                  "SCORER_MAX_WAIT_US=60000000"});
  ASSERT_TRUE(emulator().WaitForClosed(kInvocations, kWait));
  std::set<std::string> bodies;
  for (const auto& record : emulator().records()) {
    ASSERT_EQ(record.answers.size(), 1u);
    bodies.insert(record.answers[0].body);
  }
  std::set<std::string> expected;
  for (int i = 0; i < kInvocations; ++i) {
    expected.insert(absl::StrCat(R"({"score":)", 1000 + i, R"(,"batch_requests":8})"));
  }
  EXPECT_EQ(bodies, expected);
  EXPECT_EQ(Terminate().code, 0);
}

// Each refused plugin becomes exactly one /init/error of its own type and exit status 1, before
// any /next.
void ExpectInitError(emulator::Emulator& emulator, const std::string& type,
                     const std::string& message_part) {
  ASSERT_TRUE(emulator.WaitForInitError(kWait));
  const auto init_errors = emulator.init_errors();
  ASSERT_EQ(init_errors.size(), 1u);
  EXPECT_EQ(*init_errors[0].FindHeader("lambda-runtime-function-error-type"), type);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = ParseJson(parser, init_errors[0].body);
  EXPECT_THAT(std::string(std::string_view(doc["errorMessage"])), HasSubstr(message_part));
  EXPECT_EQ(emulator.stats().next_calls, 0u);
}

TEST_F(BootstrapTest, MissingPluginFileIsAnInitError) {
  StartEmulator();
  StartBootstrap("libabsent.so:hello", {kTaskRoot});
  ExpectInitError(emulator(), "Runtime.PluginNotFound", "libabsent.so");
  EXPECT_EQ(WaitForExit().code, 1);
}

TEST_F(BootstrapTest, PluginWithoutEntryPointIsAnInitError) {
  StartEmulator();
  StartBootstrap("libno_symbol_plugin.so:hello", {kTaskRoot});
  ExpectInitError(emulator(), "Runtime.PluginSymbolMissing", "lmc_plugin");
  EXPECT_EQ(WaitForExit().code, 1);
}

TEST_F(BootstrapTest, PluginOfAnotherAbiIsAnInitError) {
  StartEmulator();
  StartBootstrap("libabi_mismatch_plugin.so:hello", {kTaskRoot});
  ExpectInitError(emulator(), "Runtime.PluginAbiMismatch", "ABI");
  EXPECT_EQ(WaitForExit().code, 1);
}

TEST_F(BootstrapTest, UnknownPluginHandlerIsAnInitError) {
  StartEmulator();
  StartBootstrap("libhello_plugin.so:nope", {kTaskRoot});
  ExpectInitError(emulator(), "Runtime.NoSuchHandler", "hello, reverse");
  EXPECT_EQ(WaitForExit().code, 1);
}

}  // namespace
}  // namespace lmc::integration
