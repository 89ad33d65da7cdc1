// The Emulator API at scale and over its lifetime: thousands of connections, statistics,
// condition waits, start and destruction, concurrent callers, on_closed.
#include "tools/emulator/emulator.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lmc/mutex.h"
#include "tools/emulator/emulator_test_support.h"
#include "tools/emulator/internal/raw_http_client.h"

namespace lmc::emulator {
namespace {

using internal::RawHttpClient;
using internal::RawHttpResponse;
using ::testing::ElementsAre;

TEST(Emulator, ServesTwoThousandConcurrentParkedConnections) {
  auto emulator = StartEmulator();
  constexpr size_t kClients = 2000;
  std::vector<std::unique_ptr<RawHttpClient>> clients;
  clients.reserve(kClients);
  for (size_t i = 0; i < kClients; ++i) {
    clients.push_back(Connect(*emulator));
    ASSERT_TRUE(clients.back()->Send(internal::BuildRequest("GET", kNext, "", {})).ok());
  }
  ASSERT_TRUE(emulator->WaitForWaitingNext(kClients, absl::Seconds(20)));
  for (size_t i = 0; i < kClients; ++i) emulator->Enqueue(Event(std::to_string(i)));
  // Every event is received before any is answered, so all 2000 are in flight at once.
  std::set<std::string> bodies;
  std::vector<std::string> ids;
  for (auto& client : clients) {
    const RawHttpResponse r = Ok(client->ReadResponse());
    ids.push_back(Header(r, "lambda-runtime-aws-request-id"));
    bodies.insert(r.body);
  }
  for (size_t i = 0; i < kClients; ++i) {
    ASSERT_TRUE(
        clients[i]->Send(internal::BuildRequest("POST", ResponsePath(ids[i]), "{}", {})).ok());
  }
  for (auto& client : clients) EXPECT_EQ(Ok(client->ReadResponse()).status, 202);
  EXPECT_EQ(bodies.size(), kClients);
  ASSERT_TRUE(emulator->WaitForClosed(kClients, kWait));
  const Stats s = emulator->stats();
  EXPECT_EQ(s.max_connections, kClients);
  EXPECT_EQ(s.max_waiting_next, kClients);
  EXPECT_EQ(s.max_in_flight, kClients);
  EXPECT_EQ(s.responses, kClients);
}

TEST(Emulator, ClientDisconnectWhileParkedUnparksWithoutLosingTheEvent) {
  auto emulator = StartEmulator();
  {
    auto gone = Connect(*emulator);
    ASSERT_TRUE(gone->Send(internal::BuildRequest("GET", kNext, "", {})).ok());
    ASSERT_TRUE(emulator->WaitForWaitingNext(1, kWait));
  }  // closes the socket
  ASSERT_TRUE(emulator->WaitFor([](const Stats& s) { return s.waiting_next == 0; }, kWait));
  emulator->Enqueue(Event("for the living"));
  EXPECT_EQ(Ok(Connect(*emulator)->Get(kNext)).body, "for the living");
  EXPECT_EQ(emulator->stats().dispatched, 1u);
}

TEST(Emulator, StatsTrackPeaksAndLatency) {
  auto emulator = StartEmulator();
  auto a = Connect(*emulator);
  auto b = Connect(*emulator);
  auto c = Connect(*emulator);
  for (RawHttpClient* client : {a.get(), b.get(), c.get()}) {
    ASSERT_TRUE(client->Send(internal::BuildRequest("GET", kNext, "", {})).ok());
  }
  ASSERT_TRUE(emulator->WaitForWaitingNext(3, kWait));
  emulator->Enqueue(Event("1"));
  emulator->Enqueue(Event("2"));
  const RawHttpResponse r1 = Ok(a->ReadResponse());
  const RawHttpResponse r2 = Ok(b->ReadResponse());
  EXPECT_EQ(Ok(a->Post(ResponsePath(Header(r1, "lambda-runtime-aws-request-id")), "x")).status,
            202);
  EXPECT_EQ(Ok(b->Post(ResponsePath(Header(r2, "lambda-runtime-aws-request-id")), "y")).status,
            202);
  const Stats s = emulator->stats();
  EXPECT_EQ(s.max_waiting_next, 3u);
  EXPECT_EQ(s.max_in_flight, 2u);
  EXPECT_EQ(s.max_outstanding, 3u);
  EXPECT_EQ(s.waiting_next, 1u);
  EXPECT_EQ(s.in_flight, 0u);
  EXPECT_EQ(s.closed, 2u);
  EXPECT_GT(s.latency_max_ms, 0);
  EXPECT_LE(s.latency_p50_ms, s.latency_p99_ms);
  EXPECT_LE(s.latency_p99_ms, s.latency_max_ms);
  EXPECT_NE(s.first_next_at, absl::InfinitePast());
  EXPECT_LE(s.first_next_at, s.first_dispatch_at);
  EXPECT_LE(s.first_dispatch_at, s.last_close_at);
}

TEST(Emulator, WaitForReturnsFalseWhenTheConditionNeverHolds) {
  auto emulator = StartEmulator();
  EXPECT_FALSE(emulator->WaitForClosed(1, absl::Milliseconds(20)));
  EXPECT_FALSE(emulator->WaitForWaitingNext(1, absl::Milliseconds(20)));
  EXPECT_FALSE(emulator->WaitForInitError(absl::Milliseconds(20)));
  EXPECT_FALSE(
      emulator->WaitFor([](const Stats& s) { return s.dispatched > 0; }, absl::Milliseconds(20)));
}

TEST(Emulator, NotifyWaitersReevaluatesPredicatesOverExternalState) {
  auto emulator = StartEmulator();
  std::atomic<bool> flag{false};
  std::thread setter([&] {
    flag.store(true);
    emulator->NotifyWaiters();
  });
  EXPECT_TRUE(emulator->WaitFor([&](const Stats&) { return flag.load(); }, kWait));
  setter.join();
}

TEST(Emulator, DestructorClosesClientConnections) {
  auto emulator = StartEmulator();
  auto parked = Connect(*emulator);
  ASSERT_TRUE(parked->Send(internal::BuildRequest("GET", kNext, "", {})).ok());
  ASSERT_TRUE(emulator->WaitForWaitingNext(1, kWait));
  emulator.reset();
  EXPECT_TRUE(parked->ExpectClosed().ok());
}

TEST(Emulator, StartFailsWhenThePortIsTakenOrStartIsRepeated) {
  auto first = StartEmulator();
  EmulatorOptions options;
  options.port = first->port();
  Emulator second(options);
  EXPECT_FALSE(second.Start().ok());
  EXPECT_EQ(first->Start().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(first->address(), "127.0.0.1:" + std::to_string(first->port()));
}

TEST(Emulator, EventsEnqueuedFromManyThreadsAreEachDeliveredOnce) {
  auto emulator = StartEmulator();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&emulator, t] {
      for (int i = 0; i < kPerThread; ++i) {
        emulator->Enqueue(Event(std::to_string(t * kPerThread + i)));
      }
    });
  }
  std::vector<std::thread> consumers;
  lmc::Mutex mu;
  std::set<std::string> seen;
  for (int t = 0; t < kThreads; ++t) {
    consumers.emplace_back([&] {
      RawHttpClient client;
      ASSERT_TRUE(client.Connect(emulator->port()).ok());
      for (int i = 0; i < kPerThread; ++i) {
        const RawHttpResponse r = Ok(client.Get(kNext));
        Ok(client.Post(ResponsePath(Header(r, "lambda-runtime-aws-request-id")), r.body));
        lmc::MutexLock lock(&mu);
        seen.insert(r.body);
      }
    });
  }
  for (auto& t : producers) t.join();
  for (auto& t : consumers) t.join();
  EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_TRUE(emulator->WaitForClosed(kThreads * kPerThread, kWait));
}

TEST(Emulator, OnClosedIsCalledOncePerClosedInvocation) {
  lmc::Mutex mu;
  std::vector<std::string> closed;
  EmulatorOptions options;
  options.on_closed = [&](const InvocationRecord& r) {
    lmc::MutexLock lock(&mu);
    closed.push_back(r.request_id + ":" + std::to_string(r.answers.back().status_returned));
  };
  auto emulator = StartEmulator(options);
  for (const char* id : {"x", "y"}) {
    EventSpec e = Event("{}");
    e.request_id = id;
    emulator->Enqueue(e);
  }
  auto client = Connect(*emulator);
  Ok(client->Get(kNext));
  Ok(client->Get(kNext));
  Ok(client->Post(ResponsePath("x"), "{}"));
  Ok(client->Post(ResponsePath("x"), "{}"));  // duplicate: no second callback
  Ok(client->Post(ErrorPath("y"), "{}"));
  lmc::MutexLock lock(&mu);
  EXPECT_THAT(closed, ElementsAre("x:202", "y:202"));
}

}  // namespace
}  // namespace lmc::emulator
