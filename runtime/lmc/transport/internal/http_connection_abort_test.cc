// HttpConnection::Abort() against long polls: what it cancels, what it lets complete, and races
// with replies that are arriving.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lmc/mutex.h"
#include "lmc/strings.h"
#include "lmc/transport/internal/http_connection.h"
#include "lmc/transport/internal/http_connection_test_support.h"
#include "tests/support/scripted_server.h"

namespace lmc::transport_internal {
namespace {

using integration::ScriptedServer;

TEST(HttpConnection, AbortUnblocksALongPollBlockedInRecv) {
  Latch parked;
  ScriptedServer server;  // After the latches: its thread uses them until joined.
  server.Run([&](ScriptedServer& s) {
    const int fd = s.Accept();
    s.ReadRequest(fd);
    parked.Set();
    s.ReadRequest(fd);  // Until the client's socket goes away; never answers.
    // The POST after Abort() comes on a new connection.
    const int post = s.Accept();
    s.ReadRequest(post);
    s.Send(post, Reply("posted"));
  });
  HttpConnection connection(EndpointOf(server), {});
  absl::StatusOr<int> polled;
  std::thread poller([&] {
    StringSink sink;
    polled = connection.RoundTrip(LongPoll(), sink);
  });
  ASSERT_TRUE(parked.Wait());
  connection.Abort();
  poller.join();  // Returns only because Abort() shut the socket down.
  EXPECT_EQ(polled.status().code(), absl::StatusCode::kCancelled);
  // Later long polls fail at once, without connecting.
  StringSink again;
  EXPECT_EQ(connection.RoundTrip(LongPoll(), again).status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(server.accepted(), 1);
  // Other requests still work.
  StringSink post;
  const absl::StatusOr<int> posted = connection.RoundTrip(Post("answer"), post);
  server.Join();
  ASSERT_TRUE(posted.ok()) << posted.status();
  EXPECT_EQ(post.body, "posted");
}

// Sets a latch when the first header line of a reply arrives.
class SignallingSink : public StringSink {
 public:
  void OnHeaderLine(std::string_view line) override {
    StringSink::OnHeaderLine(line);
    started.Set();
  }
  Latch started;
};

TEST(HttpConnection, AbortAfterTheReplyBeganLetsTheLongPollComplete) {
  // The server has handed the event over: cutting the reply short would lose it.
  Latch rest;
  const std::string body(100000, 'e');
  const std::string reply = Reply(body);
  const size_t split = reply.size() - body.size() / 2;
  ScriptedServer server;  // After what its thread uses, so it is joined first.
  server.Run([&](ScriptedServer& s) {
    const int fd = s.Accept();
    s.ReadRequest(fd);
    const std::string_view bytes = reply;
    s.Send(fd, bytes.substr(0, split));
    rest.Wait();
    s.Send(fd, bytes.substr(split));
    s.ReadRequest(fd);
  });
  HttpConnection connection(EndpointOf(server), {});
  SignallingSink sink;
  absl::StatusOr<int> polled;
  std::thread poller([&] { polled = connection.RoundTrip(LongPoll(), sink); });
  ASSERT_TRUE(sink.started.Wait());
  connection.Abort();
  rest.Set();
  poller.join();
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_EQ(*polled, 200);
  EXPECT_EQ(sink.body, body);
  // The poll after it is cancelled at once.
  StringSink again;
  EXPECT_EQ(connection.RoundTrip(LongPoll(), again).status().code(), absl::StatusCode::kCancelled);
}

TEST(HttpConnection, AbortRacingWithAnArrivingReplyNeverLosesIt) {
  // Abort() right after the server sent a complete reply: whether the poller has read it yet or
  // not, the reply is on its socket, so the long poll must return it.
  for (int round = 0; round < 50; ++round) {
    Latch sent;
    ScriptedServer server;  // After the latches: its thread uses them until joined.
    server.Run([&](ScriptedServer& s) {
      const int fd = s.Accept();
      s.ReadRequest(fd);
      s.Send(fd, Reply("event"));
      sent.Set();
      s.ReadRequest(fd);
    });
    HttpConnection connection(EndpointOf(server), {});
    StringSink sink;
    absl::StatusOr<int> polled;
    std::thread poller([&] { polled = connection.RoundTrip(LongPoll(), sink); });
    ASSERT_TRUE(sent.Wait());
    connection.Abort();
    poller.join();
    ASSERT_TRUE(polled.ok()) << "round " << round << ": " << polled.status();
    EXPECT_EQ(sink.body, "event");
  }
}

TEST(HttpConnection, AbortDuringAPostLeavesThePostAlone) {
  Latch received;
  Latch answer;
  ScriptedServer server;  // After the latches: its thread uses them until joined.
  server.Run([&](ScriptedServer& s) {
    const int fd = s.Accept();
    s.ReadRequest(fd);
    received.Set();
    answer.Wait();
    s.Send(fd, Reply("accepted"));
  });
  HttpConnection connection(EndpointOf(server), {});
  absl::StatusOr<int> posted;
  StringSink sink;
  std::thread poster([&] { posted = connection.RoundTrip(Post("x"), sink); });
  ASSERT_TRUE(received.Wait());
  connection.Abort();
  answer.Set();
  poster.join();
  server.Join();
  ASSERT_TRUE(posted.ok()) << posted.status();
  EXPECT_EQ(sink.body, "accepted");
}

TEST(HttpConnection, AbortBeforeAnyLongPollCancelsItWithoutConnecting) {
  ScriptedServer server;
  HttpConnection connection(EndpointOf(server), {});
  connection.Abort();
  connection.Abort();  // Idempotent.
  StringSink sink;
  EXPECT_EQ(connection.RoundTrip(LongPoll(), sink).status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(connection.connections_opened(), 0u);
}

TEST(HttpConnection, AbortRacingWithLongPollsAlwaysEndsThem) {
  // Abort() at arbitrary moments of a long poll's life (connecting, sending, waiting): the poll
  // always ends, cancelled or answered, and never hangs.
  for (int round = 0; round < 20; ++round) {
    ScriptedServer server;
    server.Run([](ScriptedServer& s) {
      const int fd = s.Accept();
      if (fd < 0) return;
      s.ReadRequest(fd);
      s.ReadRequest(fd);
    });
    HttpConnection connection(EndpointOf(server), {});
    absl::StatusOr<int> polled;
    std::thread poller([&] {
      StringSink sink;
      polled = connection.RoundTrip(LongPoll(), sink);
    });
    std::this_thread::yield();
    connection.Abort();
    poller.join();
    EXPECT_EQ(polled.status().code(), absl::StatusCode::kCancelled) << round;
  }
}

}  // namespace
}  // namespace lmc::transport_internal
