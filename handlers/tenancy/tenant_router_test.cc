#include "handlers/tenancy/tenant_router.h"

#include <atomic>
#include <string>

#include "gtest/gtest.h"
#include "lmc/testing/handler_harness.h"

namespace lmc::tenancy {
namespace {

using ::lmc::testing::Invocation;
using ::lmc::testing::Invoke;
using ::lmc::testing::Outcome;

Invocation ForTenant(std::optional<std::string> tenant) {
  Invocation invocation;
  invocation.tenant_id = std::move(tenant);
  return invocation;
}

// Each tenant's handler answers with the name it was built for and its build number.
TenantHandlerFactory Naming(std::atomic<int>& builds) {
  return [&builds](const TenantKey& tenant) -> absl::StatusOr<Handler> {
    const std::string name = (tenant.present ? "[" + tenant.id + "]" : std::string("none")) + "#" +
                             std::to_string(++builds);
    return [name](const Event&, const Context&) -> Result { return Response::Text(name); };
  };
}

TEST(RouteByTenant, SendsEachTenantToTheHandlerBuiltForIt) {
  std::atomic<int> builds = 0;
  const Handler handler = RouteByTenant(Naming(builds));
  EXPECT_EQ(Invoke(handler, ForTenant("acme")).body, "[acme]#1");
  EXPECT_EQ(Invoke(handler, ForTenant("globex")).body, "[globex]#2");
  EXPECT_EQ(Invoke(handler, ForTenant("acme")).body, "[acme]#1");
  EXPECT_EQ(builds.load(), 2);
}

TEST(RouteByTenant, AbsentAndEmptyTenantsGetTheirOwnHandlers) {
  std::atomic<int> builds = 0;
  const Handler handler = RouteByTenant(Naming(builds));
  EXPECT_EQ(Invoke(handler, ForTenant(std::nullopt)).body, "none#1");
  EXPECT_EQ(Invoke(handler, ForTenant("")).body, "[]#2");
  EXPECT_EQ(Invoke(handler, ForTenant(std::nullopt)).body, "none#1");
}

TEST(RouteByTenant, AFailedBuildIsATenantInitErrorAndIsRetried) {
  int attempts = 0;
  const Handler handler = RouteByTenant([&attempts](const TenantKey&) -> absl::StatusOr<Handler> {
    if (++attempts == 1) return absl::UnavailableError("secrets not ready");
    return [](const Event&, const Context&) -> Result { return Response::Text("ok"); };
  });
  const Outcome failed = Invoke(handler, ForTenant("acme"));
  ASSERT_FALSE(failed.result.ok());
  EXPECT_EQ(failed.result.error().type(), kTenantInitErrorType);
  EXPECT_EQ(failed.result.error().message(), "secrets not ready");
  EXPECT_EQ(Invoke(handler, ForTenant("acme")).body, "ok");
}

TEST(RouteByTenant, EvictsBeyondCapacityAndRebuilds) {
  std::atomic<int> builds = 0;
  const Handler handler = RouteByTenant(Naming(builds), {.capacity = 1});
  EXPECT_EQ(Invoke(handler, ForTenant("a")).body, "[a]#1");
  EXPECT_EQ(Invoke(handler, ForTenant("b")).body, "[b]#2");
  EXPECT_EQ(Invoke(handler, ForTenant("a")).body, "[a]#3");
}

}  // namespace
}  // namespace lmc::tenancy
