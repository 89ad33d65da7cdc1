#include "lmc/transport/api_request.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace lmc {
namespace {

std::string Target(const ApiRequest& request) {
  std::string target = "reused:";
  request.AppendTarget(target);
  return target;
}

std::vector<std::string> Headers(const ApiRequest& request) {
  std::vector<std::string> out;
  for (const ApiHeader& h : request.headers()) {
    out.push_back(std::string(h.name) + ": " + std::string(h.value));
  }
  return out;
}

TEST(ApiRequest, ResponseCarriesTheBodyAndOnlyTheHeadersGiven) {
  const auto full =
      ApiRequest::Response("req-1", "inv-1", "text/plain", "hello", std::chrono::seconds(3));
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(full->method(), "POST");
  EXPECT_EQ(Target(*full), "reused:/2018-06-01/runtime/invocation/req-1/response");
  EXPECT_EQ(Headers(*full), (std::vector<std::string>{"Content-Type: text/plain",
                                                      "Lambda-Runtime-Invocation-Id: inv-1"}));
  EXPECT_EQ(full->body(), "hello");
  EXPECT_EQ(full->timeout(), std::chrono::seconds(3));
  EXPECT_FALSE(full->long_poll());

  const auto bare = ApiRequest::Response("req-1", "", "", "", {});
  ASSERT_TRUE(bare.ok());
  EXPECT_TRUE(bare->headers().empty());
  EXPECT_TRUE(bare->has_body());  // An empty body is still a body (Content-Length: 0).
}

TEST(ApiRequest, ErrorAlwaysSendsJsonAndTheErrorTypeWhenGiven) {
  const auto error = ApiRequest::Error("req-2", "inv-2", "Oops.Bad", "{}", {});
  ASSERT_TRUE(error.ok());
  EXPECT_EQ(Target(*error), "reused:/2018-06-01/runtime/invocation/req-2/error");
  EXPECT_EQ(Headers(*error), (std::vector<std::string>{"Content-Type: application/json",
                                                       "Lambda-Runtime-Function-Error-Type: "
                                                       "Oops.Bad",
                                                       "Lambda-Runtime-Invocation-Id: inv-2"}));
  const auto init = ApiRequest::InitError("", "{}");
  ASSERT_TRUE(init.ok());
  EXPECT_EQ(Target(*init), "reused:/2018-06-01/runtime/init/error");
  EXPECT_EQ(Headers(*init), (std::vector<std::string>{"Content-Type: application/json"}));
}

TEST(ApiRequest, ExtensionCallsUseTheExtensionsApi) {
  const auto reg = ApiRequest::RegisterExtension("lmc", R"({"events":[]})");
  ASSERT_TRUE(reg.ok());
  EXPECT_EQ(Target(*reg), "reused:/2020-01-01/extension/register");
  EXPECT_EQ(Headers(*reg), (std::vector<std::string>{"Content-Type: application/json",
                                                     "Lambda-Extension-Name: lmc"}));
  const auto next = ApiRequest::NextExtensionEvent("id-1");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->method(), "GET");
  EXPECT_FALSE(next->has_body());
  EXPECT_TRUE(next->long_poll());
  EXPECT_EQ(Target(*next), "reused:/2020-01-01/extension/event/next");
}

TEST(ApiRequest, UnsafeIdsAndHeaderValuesAreRefused) {
  EXPECT_TRUE(absl::IsInvalidArgument(ApiRequest::Response("../x", "", "", "", {}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ApiRequest::Response("req", "a\r\nb", "", "", {}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ApiRequest::Error("req", "", "T\nX", "{}", {}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ApiRequest::InitError("T\r", "{}").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ApiRequest::RegisterExtension("a\nb", "{}").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ApiRequest::NextExtensionEvent("a\rb").status()));
}

TEST(HeaderErrorType, PassesSafeTokensAndReplacesTheRest) {
  EXPECT_EQ(HeaderErrorType("Runtime.NoSuchHandler"), "Runtime.NoSuchHandler");
  EXPECT_EQ(HeaderErrorType("std::runtime_error"), "std::runtime_error");
  EXPECT_EQ(HeaderErrorType("a\r\nInjected: yes"), "Unhandled");
  EXPECT_EQ(HeaderErrorType(""), "Unhandled");
  EXPECT_EQ(HeaderErrorType(std::string(129, 'a')), "Unhandled");
  EXPECT_EQ(HeaderErrorType("with space"), "Unhandled");
}

}  // namespace
}  // namespace lmc
