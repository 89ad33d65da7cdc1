#include "tools/invoke/bootstrap_process.h"

#include <signal.h>
#include <stdlib.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lmc::invoke {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;

BootstrapLaunch Launch() {
  BootstrapLaunch launch;
  launch.path = "/bin/true";
  launch.runtime_api = "127.0.0.1:9001";
  launch.handler = "echo";
  return launch;
}

TEST(LambdaEnvironment, GivesWhatLambdaSetsForACustomRuntimeAndNothingElse) {
  const char* tmpdir = std::getenv("TMPDIR");
  setenv("LMC_SHOULD_NOT_LEAK", "1", 1);
  const std::vector<std::string> env = LambdaEnvironment(Launch());
  unsetenv("LMC_SHOULD_NOT_LEAK");
  EXPECT_THAT(env, Contains("AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001"));
  EXPECT_THAT(env, Contains("_HANDLER=echo"));
  EXPECT_THAT(env, Contains("AWS_LAMBDA_FUNCTION_NAME=lmc-local"));
  EXPECT_THAT(env, Contains("AWS_LAMBDA_FUNCTION_VERSION=$LATEST"));
  EXPECT_THAT(env, Contains("AWS_LAMBDA_FUNCTION_MEMORY_SIZE=2048"));
  EXPECT_THAT(env, Contains("AWS_REGION=us-east-1"));
  EXPECT_THAT(env, Contains(std::string("TMPDIR=") + (tmpdir != nullptr ? tmpdir : "/tmp")));
  EXPECT_THAT(env, Contains(testing::StartsWith("PATH=")));
  EXPECT_THAT(env, Not(Contains("LMC_SHOULD_NOT_LEAK=1")));
  // Unset concurrency stays unset: the runtime then runs one loop, as on classic Lambda.
  EXPECT_THAT(env, Not(Contains(testing::StartsWith("AWS_LAMBDA_MAX_CONCURRENCY="))));
  EXPECT_EQ(env.size(), 8u);
}

TEST(LambdaEnvironment, ExtraEntriesReplaceSameNamedOnesOrComeLast) {
  BootstrapLaunch launch = Launch();
  launch.concurrency = 8;
  launch.extra_env = {{"AWS_REGION", "eu-west-1"}, {"MY_FLAG", "on"}, {"MY_FLAG", "off"}};
  const std::vector<std::string> env = LambdaEnvironment(launch);
  EXPECT_THAT(env, Contains("AWS_LAMBDA_MAX_CONCURRENCY=8"));
  EXPECT_THAT(env, Contains("AWS_REGION=eu-west-1"));
  EXPECT_THAT(env, Not(Contains("AWS_REGION=us-east-1")));
  EXPECT_THAT(std::vector<std::string>(env.end() - 1, env.end()), ElementsAre("MY_FLAG=off"));
}

TEST(BootstrapEnding, CleanIsExitZeroOrDeathByOurSigtermNeverSigkill) {
  BootstrapEnding ending;
  ending.status = {.exited = true, .code = 0};
  EXPECT_TRUE(ending.clean());
  ending.status = {.exited = true, .code = 1};
  EXPECT_FALSE(ending.clean());
  ending.status = {.exited = false, .signal = SIGTERM};
  EXPECT_FALSE(ending.clean()) << "a SIGTERM someone else sent";
  ending.term_sent = true;
  EXPECT_TRUE(ending.clean());
  ending.kill_sent = true;
  ending.status = {.exited = false, .signal = SIGKILL};
  EXPECT_FALSE(ending.clean());
}

TEST(BootstrapEnding, DescribeSaysHowAndWhen) {
  BootstrapEnding ending;
  ending.status = {.exited = true, .code = 0};
  ending.term_sent = true;
  EXPECT_EQ(ending.Describe(), "bootstrap exited 0 after SIGTERM");
  ending = {};
  ending.status = {.exited = false, .signal = SIGSEGV};
  ending.exited_on_its_own = true;
  EXPECT_EQ(ending.Describe(), "bootstrap killed by SIGSEGV before lmc-invoke stopped it");
  ending.kill_sent = true;
  ending.grace = absl::Milliseconds(1500);
  EXPECT_EQ(ending.Describe(), "bootstrap ignored SIGTERM, killed by SIGKILL after 1.5 s");
}

}  // namespace
}  // namespace lmc::invoke
