// lmc::Run(handler): a binary with one handler serves whatever _HANDLER says. The binary is the
// README's example (examples/), so this also checks that the documented program works.
#include <string>

#include "gtest/gtest.h"
#include "tests/support/bootstrap_fixture.h"

namespace lmc::integration {
namespace {

// Runs the README example instead of `bootstrap` (its own suite name keeps it out of the
// integration-curl run, which swaps the bootstrap binary).
class SingleHandlerTest : public BootstrapTest {
 protected:
  void SetUp() override {
    BootstrapTest::SetUp();
    set_binary(LMC_README_EXAMPLE_PATH);
  }

  // Serves one event under `handler_setting` and returns the answer's body.
  std::string ServeOne(const std::string& handler_setting, const std::string& event) {
    StartEmulator();
    emulator::EventSpec spec;
    spec.body = event;
    spec.request_id = "req-single";
    emulator().Enqueue(spec);
    StartBootstrap(handler_setting);
    EXPECT_TRUE(emulator().WaitForClosed(1, kWait));
    const auto record = emulator().record("req-single");
    EXPECT_EQ(Terminate().code, 0);
    if (!record.has_value() || record->answers.size() != 1) return "<no single answer>";
    EXPECT_EQ(record->answers[0].kind, emulator::Answer::Kind::kResponse);
    return record->answers[0].body;
  }
};

TEST_F(SingleHandlerTest, ServesWhateverHandlerSettingLambdaSets) {
  EXPECT_EQ(ServeOne("index.handler", R"({"name":"lmc"})"), R"({"hello":"lmc"})");
}

TEST_F(SingleHandlerTest, ServesWhenHandlerSettingIsEmpty) {
  EXPECT_EQ(ServeOne("", "{}"), R"({"hello":"world"})");
}

TEST_F(SingleHandlerTest, MistypedFieldIsReportedNamingTheField) {
  StartEmulator();
  emulator::EventSpec spec;
  spec.body = R"({"name":42})";
  spec.request_id = "req-bad";
  emulator().Enqueue(spec);
  StartBootstrap("anything");
  ASSERT_TRUE(emulator().WaitForClosed(1, kWait));
  const auto record = emulator().record("req-bad");
  ASSERT_TRUE(record.has_value());
  ASSERT_EQ(record->answers.size(), 1u);
  EXPECT_EQ(record->answers[0].kind, emulator::Answer::Kind::kError);
  EXPECT_NE(record->answers[0].body.find(R"(field \"name\": expected a string, got a number)"),
            std::string::npos)
      << record->answers[0].body;
  EXPECT_EQ(Terminate().code, 0);
}

}  // namespace
}  // namespace lmc::integration
