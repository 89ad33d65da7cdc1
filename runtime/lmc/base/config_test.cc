#include "lmc/base/config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lmc {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

EnvMap Minimal() { return {{"AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"}}; }

TEST(ParseConfig, DefaultsWhenOnlyTheRuntimeApiIsSet) {
  auto config = ParseConfig(Minimal());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->runtime_api, "127.0.0.1:9001");
  EXPECT_EQ(config->max_concurrency, 1);
  EXPECT_EQ(config->log_format, LogFormat::kJson);
  EXPECT_EQ(config->log_level, LogLevel::kInfo);
  EXPECT_EQ(config->tmp_root, "/tmp");
  EXPECT_EQ(config->task_root, "/var/task");
  EXPECT_EQ(config->function_version, "$LATEST");
  EXPECT_THAT(config->warnings, IsEmpty());
}

TEST(ParseConfig, MissingRuntimeApiIsAnError) {
  auto config = ParseConfig({});
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(config.status().message(), HasSubstr("AWS_LAMBDA_RUNTIME_API"));
}

TEST(ParseConfig, MalformedRuntimeApiIsAnError) {
  for (const char* bad : {"localhost", "host:", ":9001", "host:0", "host:70000", "a/b:1",
                          "user@host:1", "host:12x", "ho st:1"}) {
    EnvMap env = {{"AWS_LAMBDA_RUNTIME_API", bad}};
    EXPECT_FALSE(ParseConfig(env).ok()) << bad;
  }
  EnvMap ok = {{"AWS_LAMBDA_RUNTIME_API", "[::1]:9001"}};
  EXPECT_TRUE(ParseConfig(ok).ok());
}

TEST(ParseConfig, ConcurrencyInRangeIsUsed) {
  EnvMap env = Minimal();
  env["AWS_LAMBDA_MAX_CONCURRENCY"] = "64";
  auto config = ParseConfig(env);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->max_concurrency, 64);
  env["AWS_LAMBDA_MAX_CONCURRENCY"] = "1600";
  EXPECT_EQ(ParseConfig(env)->max_concurrency, 1600);
}

TEST(ParseConfig, InvalidConcurrencyFallsBackToOneWithAWarning) {
  for (const char* bad : {"0", "-3", "1601", "abc", "8x", "", "  ", "99999999999999999999"}) {
    EnvMap env = Minimal();
    env["AWS_LAMBDA_MAX_CONCURRENCY"] = bad;
    auto config = ParseConfig(env);
    ASSERT_TRUE(config.ok());
    EXPECT_EQ(config->max_concurrency, 1) << bad;
    ASSERT_THAT(config->warnings, SizeIs(1)) << bad;
    EXPECT_THAT(config->warnings[0], HasSubstr("AWS_LAMBDA_MAX_CONCURRENCY"));
  }
}

TEST(ParseConfig, LmcMaxConcurrencyLowersConcurrencyOnly) {
  EnvMap env = Minimal();
  env["AWS_LAMBDA_MAX_CONCURRENCY"] = "16";
  env["LMC_MAX_CONCURRENCY"] = "4";
  auto low = ParseConfig(env);
  EXPECT_EQ(low->max_concurrency, 4);
  EXPECT_THAT(low->warnings, IsEmpty());
  env["LMC_MAX_CONCURRENCY"] = "32";
  auto big = ParseConfig(env);
  EXPECT_EQ(big->max_concurrency, 16);
  ASSERT_THAT(big->warnings, SizeIs(1));
  EXPECT_THAT(big->warnings[0], HasSubstr("LMC_MAX_CONCURRENCY=32"));
  env["LMC_MAX_CONCURRENCY"] = "zero";
  auto bad = ParseConfig(env);
  EXPECT_EQ(bad->max_concurrency, 16);
  EXPECT_THAT(bad->warnings, SizeIs(1));
}

TEST(ParseConfig, PoolSizeIsADeprecatedAliasThatWarns) {
  EnvMap env = Minimal();
  env["AWS_LAMBDA_MAX_CONCURRENCY"] = "16";
  env["LMC_POOL_SIZE"] = "4";
  auto alias = ParseConfig(env);
  EXPECT_EQ(alias->max_concurrency, 4);
  ASSERT_THAT(alias->warnings, SizeIs(1));
  EXPECT_THAT(alias->warnings[0], HasSubstr("deprecated"));
  env["LMC_MAX_CONCURRENCY"] = "8";
  auto both = ParseConfig(env);
  EXPECT_EQ(both->max_concurrency, 8);
  ASSERT_THAT(both->warnings, SizeIs(1));
  EXPECT_THAT(both->warnings[0], HasSubstr("ignored"));
}

TEST(ParseConfig, OverdueSettingsDefaultToNAndAreBounded) {
  EnvMap env = Minimal();
  env["AWS_LAMBDA_MAX_CONCURRENCY"] = "16";
  auto defaults = ParseConfig(env);
  EXPECT_EQ(defaults->overdue_grace, std::chrono::milliseconds(1000));
  EXPECT_EQ(defaults->max_detached, 16);
  EXPECT_EQ(defaults->stuck_grace, std::chrono::milliseconds(30000));
  env["LMC_OVERDUE_GRACE_MS"] = "250";
  env["LMC_MAX_DETACHED"] = "0";
  env["LMC_STUCK_GRACE_MS"] = "5000";
  auto set = ParseConfig(env);
  EXPECT_EQ(set->overdue_grace, std::chrono::milliseconds(250));
  EXPECT_EQ(set->max_detached, 0);
  EXPECT_EQ(set->stuck_grace, std::chrono::milliseconds(5000));
  EXPECT_THAT(set->warnings, IsEmpty());
  env["LMC_OVERDUE_GRACE_MS"] = "-1";
  env["LMC_MAX_DETACHED"] = "1601";
  env["LMC_STUCK_GRACE_MS"] = "soon";
  auto bad = ParseConfig(env);
  EXPECT_EQ(bad->overdue_grace, std::chrono::milliseconds(1000));
  EXPECT_EQ(bad->max_detached, 16);
  EXPECT_EQ(bad->stuck_grace, std::chrono::milliseconds(30000));
  EXPECT_THAT(bad->warnings, SizeIs(3));
}

TEST(ParseConfig, LogFormatAndLevelAreCaseInsensitive) {
  EnvMap env = Minimal();
  env["AWS_LAMBDA_LOG_FORMAT"] = "text";
  env["AWS_LAMBDA_LOG_LEVEL"] = "debug";
  auto config = ParseConfig(env);
  EXPECT_EQ(config->log_format, LogFormat::kText);
  EXPECT_EQ(config->log_level, LogLevel::kDebug);
  EXPECT_THAT(config->warnings, IsEmpty());
}

TEST(ParseConfig, UnknownLogSettingsWarnAndKeepDefaults) {
  EnvMap env = Minimal();
  env["AWS_LAMBDA_LOG_FORMAT"] = "xml";
  env["AWS_LAMBDA_LOG_LEVEL"] = "LOUD";
  auto config = ParseConfig(env);
  EXPECT_EQ(config->log_format, LogFormat::kJson);
  EXPECT_EQ(config->log_level, LogLevel::kInfo);
  EXPECT_THAT(config->warnings, SizeIs(2));
}

TEST(ParseConfig, FunctionMetadataIsRead) {
  EnvMap env = Minimal();
  env["_HANDLER"] = "echo";
  env["LAMBDA_TASK_ROOT"] = "/opt/task";
  env["AWS_LAMBDA_FUNCTION_NAME"] = "fn";
  env["AWS_LAMBDA_FUNCTION_VERSION"] = "7";
  env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = "2048";
  env["AWS_DEFAULT_REGION"] = "eu-west-1";
  auto config = ParseConfig(env);
  EXPECT_EQ(config->handler, "echo");
  EXPECT_EQ(config->task_root, "/opt/task");
  EXPECT_EQ(config->function_name, "fn");
  EXPECT_EQ(config->function_version, "7");
  EXPECT_EQ(config->memory_mb, 2048);
  EXPECT_EQ(config->region, "eu-west-1");
  env["AWS_REGION"] = "us-west-2";
  EXPECT_EQ(ParseConfig(env)->region, "us-west-2");
}

TEST(ParseConfig, RelativeTmpdirIsRejected) {
  EnvMap env = Minimal();
  env["TMPDIR"] = "scratch";
  auto config = ParseConfig(env);
  EXPECT_EQ(config->tmp_root, "/tmp");
  EXPECT_THAT(config->warnings, SizeIs(1));
  env["TMPDIR"] = "/mnt/scratch";
  EXPECT_EQ(ParseConfig(env)->tmp_root, "/mnt/scratch");
}

TEST(EnvFromProcess, SeesTheProcessEnvironment) {
  ::setenv("LMC_CONFIG_TEST_VAR", "a=b", 1);  // NOLINT(concurrency-mt-unsafe): no other threads
  EnvMap env = EnvFromProcess();
  EXPECT_EQ(env["LMC_CONFIG_TEST_VAR"], "a=b");
}

}  // namespace
}  // namespace lmc
