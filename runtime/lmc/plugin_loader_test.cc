#include "lmc/plugin_loader.h"

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lmc/plugin.h"
#include "lmc/testing/handler_harness.h"

namespace lmc {
namespace {

using ::testing::HasSubstr;

const std::filesystem::path kPluginDir = LMC_TEST_PLUGIN_DIR;

// Loads `setting` from the test plugin directory and returns the error; fails the test when the
// load succeeds.
Error LoadError(const std::string& setting, const std::filesystem::path& task_root = kPluginDir) {
  auto loaded = Plugin::Load(setting, task_root);
  if (const Error* error = std::get_if<Error>(&loaded)) return *error;
  ADD_FAILURE() << setting << " loaded";
  return Error("", "");
}

TEST(ParsePluginHandler, SplitsFileAndHandlerAtTheLastColon) {
  const std::optional<PluginHandlerName> name = ParsePluginHandler("lib/libfoo.so:resize");
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(name->file, "lib/libfoo.so");
  EXPECT_EQ(name->handler, "resize");
  EXPECT_TRUE(IsPluginHandler("libfoo.so.1.2:x"));
}

TEST(ParsePluginHandler, PlainNamesAndOtherShapesAreNotPlugins) {
  EXPECT_FALSE(IsPluginHandler("echo"));
  EXPECT_FALSE(IsPluginHandler("index.handler"));
  EXPECT_FALSE(IsPluginHandler("libfoo.so:"));
  EXPECT_FALSE(IsPluginHandler(".so:x"));
  EXPECT_FALSE(IsPluginHandler("libfoo.sox:x"));
  EXPECT_FALSE(IsPluginHandler("libfoo.so.a:x"));
  EXPECT_FALSE(IsPluginHandler("module:handler"));
}

TEST(PluginLoad, ExamplePluginServesItsHandlers) {
  auto loaded = Plugin::Load("libhello_plugin.so:reverse", kPluginDir);
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<Plugin>>(loaded))
      << std::get<Error>(loaded).message();
  const Plugin& plugin = *std::get<std::unique_ptr<Plugin>>(loaded);
  EXPECT_EQ(plugin.handler().name, "reverse");
  EXPECT_EQ(plugin.path(), kPluginDir / "libhello_plugin.so");
  testing::Invocation invocation;
  invocation.event = "abc";
  invocation.content_type = "text/plain";
  const testing::Outcome outcome = testing::Invoke(plugin.handler().handler, invocation);
  ASSERT_TRUE(outcome.result.ok());
  EXPECT_EQ(outcome.body, "cba");
}

TEST(PluginLoad, AbsolutePathIgnoresTheTaskRoot) {
  const std::string setting = (kPluginDir / "libhello_plugin.so").string() + ":hello";
  auto loaded = Plugin::Load(setting, "/nonexistent");
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<Plugin>>(loaded));
  const testing::Outcome outcome =
      testing::Invoke(std::get<std::unique_ptr<Plugin>>(loaded)->handler().handler);
  ASSERT_TRUE(outcome.result.ok());
  EXPECT_THAT(outcome.body, HasSubstr(R"("hello":"plugin")"));
  EXPECT_THAT(outcome.logs, HasSubstr("hello from a plugin"));
}

TEST(PluginLoad, MissingFileIsPluginNotFound) {
  const Error error = LoadError("libmissing.so:hello");
  EXPECT_EQ(error.type(), "Runtime.PluginNotFound");
  EXPECT_THAT(error.message(), HasSubstr((kPluginDir / "libmissing.so").string()));
}

TEST(PluginLoad, FileThatIsNotALibraryIsPluginLoadFailed) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "not_elf";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "libtext.so") << "not an ELF file\n";
  const Error error = LoadError("libtext.so:hello", dir);
  EXPECT_EQ(error.type(), "Runtime.PluginLoadFailed");
  EXPECT_THAT(error.message(), HasSubstr("libtext.so"));
}

TEST(PluginLoad, LibraryWithoutEntryPointIsPluginSymbolMissing) {
  const Error error = LoadError("libno_symbol_plugin.so:hello");
  EXPECT_EQ(error.type(), "Runtime.PluginSymbolMissing");
  EXPECT_THAT(error.message(), HasSubstr("lmc_plugin"));
}

TEST(PluginLoad, OtherAbiVersionIsPluginAbiMismatch) {
  const Error error = LoadError("libabi_mismatch_plugin.so:hello");
  EXPECT_EQ(error.type(), "Runtime.PluginAbiMismatch");
  EXPECT_THAT(error.message(), HasSubstr("rebuild it"));
}

TEST(PluginLoad, FailingRegistrationIsPluginRegisterFailed) {
  const Error error = LoadError("libfailing_plugin.so:hello");
  EXPECT_EQ(error.type(), "Runtime.PluginRegisterFailed");
  EXPECT_THAT(error.message(), HasSubstr("model file missing"));
}

TEST(PluginLoad, UnknownHandlerIsNoSuchHandlerListingTheKnownOnes) {
  const Error error = LoadError("libhello_plugin.so:nope");
  EXPECT_EQ(error.type(), "Runtime.NoSuchHandler");
  EXPECT_THAT(error.message(), HasSubstr("\"nope\""));
  EXPECT_THAT(error.message(), HasSubstr("hello, reverse"));
}

}  // namespace
}  // namespace lmc
