#include "handlers/tenancy/tenant_cache.h"

#include <atomic>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace lmc::tenancy {
namespace {

struct State {
  TenantKey tenant;
  int generation = 0;
};

using Cache = TenantCache<State>;

// A factory that counts its calls and stamps each state with the call number.
Cache::Factory Counting(std::atomic<int>& calls) {
  return [&calls](const TenantKey& tenant) -> absl::StatusOr<std::shared_ptr<State>> {
    return std::make_shared<State>(State{tenant, ++calls});
  };
}

// Spins until `done()` (a condition another thread makes true). Yields instead of sleeping: the
// tests wait for real progress, never for a guessed amount of time.
template <typename Done>
void SpinUntil(Done done) {
  while (!done()) std::this_thread::yield();
}

TEST(TenantCache, BuildsOnceWhenManyFirstInvocationsOfATenantArriveAtOnce) {
  constexpr int kThreads = 8;
  std::atomic<int> calls = 0;
  std::unique_ptr<Cache> cache;
  cache = std::make_unique<Cache>(
      4, [&](const TenantKey& tenant) -> absl::StatusOr<std::shared_ptr<State>> {
        ++calls;
        // Finish only once every other caller is waiting for this very build.
        SpinUntil([&] { return cache->stats().waits == kThreads - 1; });
        return std::make_shared<State>(State{tenant, 1});
      });
  std::vector<std::shared_ptr<State>> got(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] { got[static_cast<size_t>(i)] = cache->Get("acme").value(); });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(calls.load(), 1);
  for (const std::shared_ptr<State>& state : got) EXPECT_EQ(state, got[0]);
  EXPECT_EQ(got[0]->tenant.id, "acme");
  const TenantCacheStats stats = cache->stats();
  EXPECT_EQ(stats.builds, 1u);
  EXPECT_EQ(stats.waits, uint64_t{kThreads} - 1);
  EXPECT_EQ(stats.size, 1u);
}

TEST(TenantCache, AbsentAndEmptyTenantIdsAreDistinctKeys) {
  std::atomic<int> calls = 0;
  Cache cache(8, Counting(calls));
  const std::shared_ptr<State> absent = cache.Get(std::nullopt).value();
  const std::shared_ptr<State> empty = cache.Get("").value();
  const std::shared_ptr<State> named = cache.Get("a").value();
  EXPECT_EQ(calls.load(), 3);
  EXPECT_FALSE(absent->tenant.present);
  EXPECT_TRUE(empty->tenant.present);
  EXPECT_EQ(empty->tenant.id, "");
  EXPECT_NE(absent, empty);
  EXPECT_EQ(cache.Get(std::nullopt).value(), absent);
  EXPECT_EQ(cache.Get("").value(), empty);
  EXPECT_EQ(cache.stats().hits, 2u);
}

TEST(TenantCache, FailedBuildIsReportedToItsWaitersAndRetriedByTheNextCall) {
  constexpr int kThreads = 3;
  std::atomic<int> calls = 0;
  std::unique_ptr<Cache> cache;
  cache = std::make_unique<Cache>(
      4, [&](const TenantKey& tenant) -> absl::StatusOr<std::shared_ptr<State>> {
        if (++calls == 1) {
          SpinUntil([&] { return cache->stats().waits == kThreads - 1; });
          return absl::UnavailableError("config service throttled");
        }
        return std::make_shared<State>(State{tenant, calls.load()});
      });
  std::vector<absl::Status> statuses(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] { statuses[static_cast<size_t>(i)] = cache->Get("t").status(); });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& status : statuses) {
    EXPECT_EQ(status, absl::UnavailableError("config service throttled"));
  }
  EXPECT_EQ(cache->stats().size, 0u);
  EXPECT_EQ(cache->stats().failures, 1u);
  const absl::StatusOr<std::shared_ptr<State>> retried = cache->Get("t");
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ((*retried)->generation, 2);
}

TEST(TenantCache, ThrowingOrNullFactoriesAreFailedBuildsThatAreNotCached) {
  int calls = 0;
  Cache cache(4, [&](const TenantKey& tenant) -> absl::StatusOr<std::shared_ptr<State>> {
    ++calls;
    if (calls == 1) throw std::runtime_error("boom");
    if (calls == 2) return std::shared_ptr<State>();
    return std::make_shared<State>(State{tenant, calls});
  });
  EXPECT_THROW(cache.Get("t").IgnoreError(), std::runtime_error);
  EXPECT_EQ(cache.Get("t").status().code(), absl::StatusCode::kInternal);
  ASSERT_TRUE(cache.Get("t").ok());
  EXPECT_EQ(cache.stats().failures, 2u);
  EXPECT_EQ(cache.stats().builds, 3u);
}

TEST(TenantCache, EvictsTheLeastRecentlyUsedTenantBeyondCapacity) {
  std::atomic<int> calls = 0;
  Cache cache(2, Counting(calls));
  const std::shared_ptr<State> a = cache.Get("a").value();
  cache.Get("b").IgnoreError();
  EXPECT_EQ(cache.Get("a").value(), a);  // a is now more recent than b
  cache.Get("c").IgnoreError();          // evicts b
  EXPECT_EQ(cache.stats().evictions, 1u);
  EXPECT_EQ(cache.stats().size, 2u);
  EXPECT_EQ(cache.Get("a").value(), a);
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(cache.Get("b").value()->generation, 4);  // rebuilt
}

TEST(TenantCache, EvictedStateStaysAliveWhileInUse) {
  std::atomic<int> calls = 0;
  Cache cache(1, Counting(calls));
  std::shared_ptr<State> held = cache.Get("a").value();
  const std::weak_ptr<State> watch = held;
  cache.Get("b").IgnoreError();  // evicts a
  EXPECT_EQ(cache.stats().evictions, 1u);
  ASSERT_FALSE(watch.expired());
  EXPECT_EQ(held->tenant.id, "a");
  const std::shared_ptr<State> fresh = cache.Get("a").value();
  EXPECT_NE(fresh, held);
  held.reset();
  EXPECT_TRUE(watch.expired());
}

TEST(TenantCache, OneTenantsSlowBuildDoesNotBlockAnotherTenant) {
  std::promise<void> b_built;
  std::shared_future<void> b_done = b_built.get_future().share();
  Cache cache(4, [&](const TenantKey& tenant) -> absl::StatusOr<std::shared_ptr<State>> {
    if (tenant.id == "slow") b_done.wait();  // would deadlock if the cache held its lock here
    return std::make_shared<State>(State{tenant, 1});
  });
  std::thread slow([&] { EXPECT_TRUE(cache.Get("slow").ok()); });
  SpinUntil([&] { return cache.stats().builds == 1; });
  EXPECT_TRUE(cache.Get("fast").ok());
  b_built.set_value();
  slow.join();
  EXPECT_EQ(cache.stats().size, 2u);
}

TEST(TenantCache, EraseDropsTheEntryButNotItsHolders) {
  std::atomic<int> calls = 0;
  Cache cache(4, Counting(calls));
  const std::shared_ptr<State> held = cache.Get("a").value();
  cache.Erase("a");
  cache.Erase("never-seen");
  EXPECT_EQ(cache.stats().size, 0u);
  EXPECT_EQ(held->tenant.id, "a");
  EXPECT_NE(cache.Get("a").value(), held);
}

// Many threads over more tenants than the capacity: every state belongs to the tenant asked
// for, and the cache never holds more than its capacity once the builds are over.
TEST(TenantCache, ConcurrentMixedTenantsStayConsistent) {
  constexpr int kThreads = 8;
  constexpr int kCalls = 300;
  constexpr int kTenants = 12;
  std::atomic<int> calls = 0;
  Cache cache(5, Counting(calls));
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const std::string tenant = "tenant-" + std::to_string((t * 7 + i) % kTenants);
        const absl::StatusOr<std::shared_ptr<State>> state = cache.Get(tenant);
        ASSERT_TRUE(state.ok());
        ASSERT_EQ((*state)->tenant.id, tenant);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const TenantCacheStats stats = cache.stats();
  EXPECT_LE(stats.size, 5u);
  EXPECT_EQ(stats.hits + stats.builds + stats.waits, uint64_t{kThreads} * kCalls);
  EXPECT_EQ(stats.builds - stats.evictions, stats.size);
}

}  // namespace
}  // namespace lmc::tenancy
