#include "handlers/events/fields.h"

#include "gtest/gtest.h"

namespace lmc::events {
namespace {

TEST(Fields, LooksUpExactlyOrIgnoringCaseAndKeepsRepeats) {
  Fields fields;
  fields.Add("Content-Type", "application/json");
  fields.Add("X-Tag", "a");
  fields.Add("x-tag", "b");
  EXPECT_EQ(fields.Get("content-type"), std::nullopt);
  EXPECT_EQ(fields.GetIgnoreCase("content-type"), "application/json");
  EXPECT_EQ(fields.GetAll("X-TAG"), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_EQ(fields.GetAll("X-Tag", /*ignore_case=*/false), (std::vector<std::string_view>{"a"}));
  EXPECT_EQ(fields.size(), 3u);
}

}  // namespace
}  // namespace lmc::events
