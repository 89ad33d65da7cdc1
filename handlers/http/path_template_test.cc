#include "handlers/http/path_template.h"

#include "gtest/gtest.h"

namespace lmc::http {
namespace {

TEST(PathTemplate, MatchesLiteralsAndCapturesParameters) {
  absl::StatusOr<PathTemplate> t = PathTemplate::Parse("/items/{id}/tags/{tag}");
  ASSERT_TRUE(t.ok()) << t.status();
  events::Fields params;
  ASSERT_TRUE(t->Match("/items/42/tags/red", params));
  EXPECT_EQ(params.Get("id"), "42");
  EXPECT_EQ(params.Get("tag"), "red");
  events::Fields none;
  EXPECT_FALSE(t->Match("/items/42/tags", none));
  EXPECT_FALSE(t->Match("/items/42/tags/red/more", none));
  EXPECT_FALSE(t->Match("/things/42/tags/red", none));
  EXPECT_TRUE(none.empty()) << "a failed match leaves no parameters behind";
}

TEST(PathTemplate, GreedySegmentsTakeTheRestOfThePath) {
  absl::StatusOr<PathTemplate> t = PathTemplate::Parse("/files/{path+}");
  ASSERT_TRUE(t.ok());
  events::Fields params;
  ASSERT_TRUE(t->Match("/files/a/b/c.txt", params));
  EXPECT_EQ(params.Get("path"), "a/b/c.txt");
  events::Fields none;
  EXPECT_FALSE(t->Match("/files", none));
  EXPECT_FALSE(t->Match("/files/", none));
}

TEST(PathTemplate, IgnoresEmptySegments) {
  absl::StatusOr<PathTemplate> t = PathTemplate::Parse("/items");
  events::Fields params;
  EXPECT_TRUE(t->Match("/items/", params));
  EXPECT_TRUE(t->Match("//items", params));
  absl::StatusOr<PathTemplate> root = PathTemplate::Parse("/");
  EXPECT_TRUE(root->Match("/", params));
  EXPECT_FALSE(root->Match("/x", params));
}

TEST(PathTemplate, RejectsMalformedTemplates) {
  for (const char* bad :
       {"", "items", "/a{b}", "/{}", "/{+}", "/{a+}/b", "/{a}/{a}", "/{a", "/a}"}) {
    EXPECT_EQ(PathTemplate::Parse(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(PathTemplate, LiteralsAreMoreSpecificThanParametersThanGreedy) {
  const PathTemplate literal = *PathTemplate::Parse("/items/new");
  const PathTemplate param = *PathTemplate::Parse("/items/{id}");
  const PathTemplate greedy = *PathTemplate::Parse("/{proxy+}");
  EXPECT_TRUE(literal.MoreSpecificThan(param));
  EXPECT_FALSE(param.MoreSpecificThan(literal));
  EXPECT_TRUE(param.MoreSpecificThan(greedy));
  EXPECT_TRUE(literal.MoreSpecificThan(greedy));
}

}  // namespace
}  // namespace lmc::http
