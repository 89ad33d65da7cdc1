#include "lmc/mutex.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace lmc {
namespace {

TEST(Mutex, ProtectsACounterAcrossThreads) {
  Mutex mu;
  long counter = 0;
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        MutexLock lock(&mu);
        ++counter;
      }
    });
  }
  for (auto& t : threads) t.join();
  MutexLock lock(&mu);
  EXPECT_EQ(counter, 80000);
}

TEST(Mutex, AwaitWakesWhenAnotherThreadChangesTheCondition) {
  // Two threads take turns: each waits for the other's step, so every step needs a wake-up.
  Mutex mu;
  int step = 0;
  std::thread odd([&] {
    for (int i = 0; i < 100; ++i) {
      MutexLock lock(&mu);
      mu.Await([&] { return step == 2 * i; });
      step = 2 * i + 1;
    }
  });
  for (int i = 0; i < 100; ++i) {
    MutexLock lock(&mu);
    mu.Await([&] { return step == 2 * i + 1; });
    step = 2 * i + 2;
  }
  odd.join();
  MutexLock lock(&mu);
  EXPECT_EQ(step, 200);
}

TEST(Mutex, AwaitWithTimeoutReportsTimeoutAndSuccess) {
  Mutex mu;
  bool flag = false;
  {
    MutexLock lock(&mu);
    EXPECT_FALSE(mu.AwaitWithTimeout([&] { return flag; }, std::chrono::milliseconds(1)));
  }
  std::thread setter([&] {
    MutexLock lock(&mu);
    flag = true;
  });
  {
    MutexLock lock(&mu);
    EXPECT_TRUE(mu.AwaitWithTimeout([&] { return flag; }, std::chrono::seconds(30)));
  }
  setter.join();
}

TEST(Mutex, OwnerMayBeDestroyedAsSoonAsAWaiterSeesItsCondition) {
  // The waiter frees the object holding the Mutex as soon as its condition holds; Unlock() on the
  // other thread must not touch the Mutex after releasing it (ASan/TSan catch it if it does).
  struct Flag {
    Mutex mu;
    bool set ABSL_GUARDED_BY(mu) = false;
  };
  for (int round = 0; round < 200; ++round) {
    auto* flag = new Flag;
    std::thread setter([flag] {
      MutexLock lock(&flag->mu);
      flag->set = true;
    });
    {
      MutexLock lock(&flag->mu);
      flag->mu.AwaitWithTimeout([flag]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return flag->set; },
                                std::chrono::seconds(60));
    }
    delete flag;
    setter.join();
  }
}

}  // namespace
}  // namespace lmc
