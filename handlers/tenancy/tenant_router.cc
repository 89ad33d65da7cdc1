#include "handlers/tenancy/tenant_router.h"

#include <memory>
#include <string>
#include <utility>

namespace lmc::tenancy {

Handler RouteByTenant(TenantHandlerFactory factory, RouteByTenantOptions options) {
  auto cache = std::make_shared<TenantCache<const Handler>>(
      options.capacity,
      [factory = std::move(factory)](
          const TenantKey& tenant) -> absl::StatusOr<std::shared_ptr<const Handler>> {
        absl::StatusOr<Handler> handler = factory(tenant);
        if (!handler.ok()) return handler.status();
        if (!*handler) return absl::InternalError("the tenant handler factory returned no handler");
        return std::make_shared<const Handler>(std::move(*handler));
      });
  return [cache](const Event& event, const Context& context) -> Result {
    absl::StatusOr<std::shared_ptr<const Handler>> handler = cache->Get(context.tenant_id());
    if (!handler.ok()) {
      return Error(kTenantInitErrorType, std::string{handler.status().message()});
    }
    // `handler` keeps the tenant's Handler alive for this call even if it is evicted meanwhile.
    return (**handler)(event, context);
  };
}

}  // namespace lmc::tenancy
