#include "handlers/inference/worker_pool.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace lmc::inference {
namespace {

TEST(WorkerPool, RunsEveryPartOnceAndReturnsOnlyWhenAllHaveRun) {
  WorkerPool pool(4);
  ASSERT_EQ(pool.size(), 4U);
  for (size_t parts = 1; parts <= 4; ++parts) {
    for (int round = 0; round < 50; ++round) {
      std::vector<int> counts(4, 0);  // each part writes only its own element
      pool.Run(parts, [&counts](size_t part) { ++counts[part]; });
      for (size_t part = 0; part < 4; ++part) {
        EXPECT_EQ(counts[part], part < parts ? 1 : 0) << parts << " parts, part " << part;
      }
    }
  }
}

TEST(WorkerPool, ASinglePartRunsOnTheCallingThread) {
  WorkerPool pool(3);
  std::thread::id ran_on;
  pool.Run(1, [&ran_on](size_t) { ran_on = std::this_thread::get_id(); });
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  WorkerPool single(1);
  single.Run(5, [&ran_on](size_t part) {
    EXPECT_EQ(part, 0U);
    ran_on = std::this_thread::get_id();
  });
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(WorkerPool, PartsRunAtTheSameTime) {
  // Every part waits until all have started: this only finishes if they run concurrently.
  WorkerPool pool(3);
  std::atomic<int> started{0};
  pool.Run(3, [&started](size_t) {
    started.fetch_add(1);
    while (started.load() < 3) std::this_thread::yield();
  });
  EXPECT_EQ(started.load(), 3);
  EXPECT_GE(WorkerPool::AvailableCpus(), 1U);
}

}  // namespace
}  // namespace lmc::inference
