// _HANDLER=libname.so:handler: the bootstrap loads the handler from a plugin in
// LAMBDA_TASK_ROOT (lmc/plugin.h) and serves it, or reports why not through /init/error.
#include "gmock/gmock.h"
#include "tests/integration/bootstrap_fixture.h"

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
