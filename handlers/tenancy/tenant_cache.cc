#include "handlers/tenancy/tenant_cache.h"

#include <algorithm>
#include <utility>

namespace lmc::tenancy::internal {

// One tenant's slot. Every field is guarded by the owning core's mu_ (an annotation cannot name
// another object's member); the slot is shared by the map and by every caller waiting for it,
// so an evicted or erased slot outlives its waiters.
struct TenantCacheCore::Entry {
  bool done = false;  // the build finished (outcome is set)
  absl::StatusOr<std::shared_ptr<void>> outcome = absl::UnknownError("not built");
  bool in_lru = false;  // built and still held by the cache
  Lru::iterator lru_position;
};

TenantCacheCore::TenantCacheCore(size_t capacity, Factory factory)
    : capacity_(std::max<size_t>(capacity, 1)), factory_(std::move(factory)) {}

absl::StatusOr<std::shared_ptr<void>> TenantCacheCore::Get(
    std::optional<std::string_view> tenant_id) {
  TenantKey key = TenantKey::From(tenant_id);
  std::shared_ptr<Entry> entry;
  {
    MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      entry = it->second;
      if (entry->done) {
        ++stats_.hits;
        Touch(*entry);
        return entry->outcome;
      }
      // Someone else is building it: wait for that build rather than start a second one.
      ++stats_.waits;
      mu_.Await([this, &entry] {
        mu_.AssertHeld();
        return entry->done;
      });
      return entry->outcome;
    }
    entry = std::make_shared<Entry>();
    entries_.emplace(key, entry);
    ++stats_.builds;
  }
  // This caller builds, with no lock held: a slow build for one tenant blocks only that
  // tenant's callers.
  absl::StatusOr<std::shared_ptr<void>> outcome = absl::UnknownError("not built");
  try {
    outcome = factory_(key);
  } catch (...) {
    Finish(key, entry, absl::InternalError("the tenant state factory threw an exception"));
    throw;
  }
  if (outcome.ok() && *outcome == nullptr) {
    outcome = absl::InternalError("the tenant state factory returned a null state");
  }
  Finish(key, entry, outcome);
  return outcome;
}

void TenantCacheCore::Finish(const TenantKey& key, const std::shared_ptr<Entry>& entry,
                             absl::StatusOr<std::shared_ptr<void>> outcome) {
  MutexLock lock(&mu_);
  auto it = entries_.find(key);
  // Erase() may have dropped (and a later Get() replaced) the slot while it was being built.
  const bool still_cached = it != entries_.end() && it->second == entry;
  entry->done = true;
  entry->outcome = std::move(outcome);
  if (!entry->outcome.ok()) {
    ++stats_.failures;
    // Not cached: the waiters woken below get this error, the next Get() builds again.
    if (still_cached) entries_.erase(it);
    return;
  }
  if (!still_cached) return;
  lru_.push_front(key);
  entry->lru_position = lru_.begin();
  entry->in_lru = true;
  ++built_;
  EvictOverCapacity();
}  // Unlocking wakes the waiters (lmc::Mutex re-checks every Await() condition).

void TenantCacheCore::Touch(Entry& entry) {
  if (entry.in_lru) lru_.splice(lru_.begin(), lru_, entry.lru_position);
}

void TenantCacheCore::EvictOverCapacity() {
  // The entry just built is at the front, so it is never the one evicted (capacity_ >= 1).
  while (built_ > capacity_) {
    auto it = entries_.find(lru_.back());
    it->second->in_lru = false;
    entries_.erase(it);  // holders of its state keep it alive (shared_ptr)
    lru_.pop_back();
    --built_;
    ++stats_.evictions;
  }
}

void TenantCacheCore::Erase(std::optional<std::string_view> tenant_id) {
  MutexLock lock(&mu_);
  auto it = entries_.find(TenantKey::From(tenant_id));
  if (it == entries_.end()) return;
  Entry& entry = *it->second;
  if (entry.in_lru) {
    lru_.erase(entry.lru_position);
    entry.in_lru = false;
    --built_;
  }
  entries_.erase(it);
}

TenantCacheStats TenantCacheCore::stats() const {
  MutexLock lock(&mu_);
  TenantCacheStats stats = stats_;
  stats.size = entries_.size();
  return stats;
}

}  // namespace lmc::tenancy::internal
