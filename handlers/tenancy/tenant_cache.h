// File: handlers/tenancy/tenant_cache.h
//
// TenantCache<State>: per-tenant state (a config, a client, a model) built lazily, the first
// time a tenant's invocation asks for it, and kept in a bounded LRU. Keyed by
// Context::tenant_id(), where an absent tenant (no header) and an empty one ("") are two
// distinct keys.
//
// Rules:
//   - Built once per tenant. When many first invocations of a tenant arrive at once, one of
//     them runs the factory (outside any lock) and the others wait for its result.
//   - A failed build is not cached: the callers that were waiting for it get its error, and the
//     next Get() for that tenant builds again (a transient failure, such as a throttled call,
//     heals on the next invocation instead of poisoning the tenant until eviction).
//   - Eviction: when a new tenant would make the cache hold more than `capacity` built entries,
//     the least recently used built entry goes (used = returned by Get()). Entries being built
//     are never evicted, so while more than `capacity` builds run at once the cache may
//     briefly exceed `capacity`. Entries are std::shared_ptr: an evicted entry still in use
//     lives until its last user lets go, and the next Get() for that tenant builds a new one.
//
// Example:
//
//   lmc::tenancy::TenantCache<TenantConfig> configs(
//       /*capacity=*/64, [](const lmc::tenancy::TenantKey& tenant)
//           -> absl::StatusOr<std::shared_ptr<TenantConfig>> { return LoadConfig(tenant.id); });
//
//   lmc::Result Handle(const lmc::Event& event, const lmc::Context& context) {
//     absl::StatusOr<std::shared_ptr<TenantConfig>> config = configs.Get(context.tenant_id());
//     if (!config.ok()) return lmc::Error::FromStatus(config.status());
//     ...
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lmc/mutex.h"

namespace lmc::tenancy {

// TenantKey
//
// A tenant as Context::tenant_id() reports it: `present` is false when the invocation had no
// tenant header (then `id` is ""), true otherwise (then `id` may be "").
struct TenantKey {
  bool present = false;
  std::string id;

  static TenantKey From(std::optional<std::string_view> tenant_id) {
    return tenant_id.has_value() ? TenantKey{true, std::string(*tenant_id)} : TenantKey{};
  }
  bool operator==(const TenantKey& other) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const TenantKey& key) {
    return H::combine(std::move(h), key.present, key.id);
  }
};

// TenantCacheStats
//
// Counters since construction, for metrics and tests.
struct TenantCacheStats {
  uint64_t hits = 0;       // Get() calls answered from a built entry
  uint64_t builds = 0;     // factory calls
  uint64_t failures = 0;   // factory calls that failed (or threw)
  uint64_t waits = 0;      // Get() calls that waited for another caller's build
  uint64_t evictions = 0;  // built entries dropped to stay within capacity
  size_t size = 0;         // entries held now (built or being built)
};

namespace internal {

// The type-erased cache behind TenantCache<State> (one implementation for every State).
class TenantCacheCore {
 public:
  using Factory = std::function<absl::StatusOr<std::shared_ptr<void>>(const TenantKey&)>;

  TenantCacheCore(size_t capacity, Factory factory);
  TenantCacheCore(const TenantCacheCore&) = delete;
  TenantCacheCore& operator=(const TenantCacheCore&) = delete;

  absl::StatusOr<std::shared_ptr<void>> Get(std::optional<std::string_view> tenant_id);
  void Erase(std::optional<std::string_view> tenant_id);
  TenantCacheStats stats() const;

 private:
  struct Entry;
  using Lru = std::list<TenantKey>;  // front = most recently used built entry

  // Marks `entry` (built) as the most recently used.
  void Touch(Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops least recently used built entries until at most capacity_ are built.
  void EvictOverCapacity() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Publishes the outcome of the build of `entry` (for `key`) and wakes its waiters.
  void Finish(const TenantKey& key, const std::shared_ptr<Entry>& entry,
              absl::StatusOr<std::shared_ptr<void>> outcome);

  const size_t capacity_;
  const Factory factory_;

  mutable Mutex mu_;
  absl::flat_hash_map<TenantKey, std::shared_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);
  Lru lru_ ABSL_GUARDED_BY(mu_);  // built entries only
  size_t built_ ABSL_GUARDED_BY(mu_) = 0;
  TenantCacheStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace internal

// TenantCache
//
// Thread-safe (one internal mutex, never held while the factory runs). Owns its entries
// jointly with the callers holding them. `State` may be const-qualified.
template <typename State>
class TenantCache {
 public:
  // Builds the state of one tenant; called once per build, from the thread of the Get() that
  // found the tenant missing, with no lock held. It may block (load a file, call a service) and
  // may run concurrently for different tenants. A non-OK status, a null pointer or an
  // exception is a failed build (an exception also propagates to the Get() that ran it).
  using Factory = std::function<absl::StatusOr<std::shared_ptr<State>>(const TenantKey& tenant)>;

  // `capacity` (at least 1; 0 is treated as 1) bounds the built entries kept.
  TenantCache(size_t capacity, Factory factory)
      : core_(capacity,
              [factory = std::move(factory)](
                  const TenantKey& tenant) -> absl::StatusOr<std::shared_ptr<void>> {
                absl::StatusOr<std::shared_ptr<State>> state = factory(tenant);
                if (!state.ok()) return state.status();
                return std::shared_ptr<void>(
                    std::const_pointer_cast<std::remove_const_t<State>>(std::move(*state)));
              }) {}

  // The state of `tenant_id` (as Context::tenant_id() gives it), built if needed; never null
  // when OK. Blocks while another caller builds the same tenant's state.
  absl::StatusOr<std::shared_ptr<State>> Get(std::optional<std::string_view> tenant_id) {
    absl::StatusOr<std::shared_ptr<void>> state = core_.Get(tenant_id);
    if (!state.ok()) return state.status();
    return std::static_pointer_cast<State>(std::move(*state));
  }

  // Drops the tenant's entry (e.g. its config changed); holders keep theirs. A build in
  // progress is not interrupted, but its result is not kept.
  void Erase(std::optional<std::string_view> tenant_id) { core_.Erase(tenant_id); }

  TenantCacheStats stats() const { return core_.stats(); }

 private:
  internal::TenantCacheCore core_;
};

}  // namespace lmc::tenancy
