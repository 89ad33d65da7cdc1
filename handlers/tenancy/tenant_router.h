// File: handlers/tenancy/tenant_router.h
//
// RouteByTenant(): one Handler that sends each invocation to its tenant's own Handler, built
// lazily by a factory the first time the tenant is seen and kept in a TenantCache (built once
// per tenant under concurrency, bounded LRU, failed builds retried, absent and empty tenant ids
// distinct: see handlers/tenancy/tenant_cache.h).
//
// Example:
//
//   lmc::HandlerRegistry handlers;
//   handlers.Register("api", lmc::tenancy::RouteByTenant(
//       [](const lmc::tenancy::TenantKey& tenant) -> absl::StatusOr<lmc::Handler> {
//         if (!tenant.present) return absl::InvalidArgumentError("no tenant");
//         auto client = std::make_shared<Client>(tenant.id);   // built once per tenant
//         return [client](const lmc::Event& e, const lmc::Context& c) { return Serve(*client, e,
//         c); };
//       },
//       {.capacity = 128}));
#pragma once

#include <cstddef>
#include <functional>

#include "absl/status/statusor.h"
#include "handlers/tenancy/tenant_cache.h"
#include "lmc/handler.h"

namespace lmc::tenancy {

// Builds the Handler of one tenant (see TenantCache::Factory for when and how it is called).
using TenantHandlerFactory = std::function<absl::StatusOr<Handler>(const TenantKey& tenant)>;

// RouteByTenantOptions
struct RouteByTenantOptions {
  size_t capacity = 64;  // tenants whose Handler is kept (LRU beyond that)
};

// The errorType of an invocation whose tenant's Handler could not be built; the errorMessage is
// the factory's status message. The next invocation of that tenant tries to build it again.
inline constexpr char kTenantInitErrorType[] = "TenantInitError";

// Returns a thread-safe Handler that routes by Context::tenant_id(). It owns `factory` and the
// cache, shared by its copies. A tenant's Handler is called concurrently like any handler.
Handler RouteByTenant(TenantHandlerFactory factory, RouteByTenantOptions options = {});

}  // namespace lmc::tenancy
