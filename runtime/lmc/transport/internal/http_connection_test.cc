#include "lmc/transport/internal/http_connection.h"

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
#include "lmc/transport/internal/http_connection_test_support.h"
#include "tests/support/scripted_server.h"

namespace lmc::transport_internal {
namespace {

using integration::ScriptedServer;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(ParseEndpoint, AcceptsNumericAddressesAndNames) {
  const auto v4 = ParseEndpoint("127.0.0.1:9001");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 9001);
  EXPECT_EQ(v4->authority, "127.0.0.1:9001");
  ASSERT_TRUE(v4->numeric_address.has_value());
  EXPECT_EQ(v4->numeric_address->ss_family, AF_INET);

  const auto v6 = ParseEndpoint("[::1]:9001");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->authority, "[::1]:9001");
  ASSERT_TRUE(v6->numeric_address.has_value());
  EXPECT_EQ(v6->numeric_address->ss_family, AF_INET6);

  const auto bare_v6 = ParseEndpoint("::1:9001");
  ASSERT_TRUE(bare_v6.ok());
  EXPECT_EQ(bare_v6->host, "::1");
  EXPECT_EQ(bare_v6->port, 9001);

  const auto name = ParseEndpoint("localhost:65535");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->host, "localhost");
  EXPECT_EQ(name->port, 65535);
  EXPECT_FALSE(name->numeric_address.has_value());  // Resolved when connecting.
}

TEST(ParseEndpoint, RefusesWhatIsNotHostColonPort) {
  for (std::string_view bad :
       {"", "localhost", ":9001", "host:", "host:0", "host:65536", "host:+80", "host:80x",
        "host:123456", "[::1]9001", "[::1]", "[localhost]:80", "[::1:80"}) {
    EXPECT_EQ(ParseEndpoint(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(HttpConnection, SendsOneWellFormedRequestWithTheBodyAsGiven) {
  ScriptedServer server;
  std::string received;
  server.Run([&](ScriptedServer& s) {
    const int fd = s.Accept();
    received = s.ReadRequest(fd);
    s.Send(fd, Reply("{}"));
  });
  HttpConnection connection(EndpointOf(server), {});
  const HttpHeader headers[] = {{"Content-Type", "application/json"}, {"X-Empty", ""}};
  OutgoingRequest request = Post("{\"a\":1}");
  request.headers = headers;
  StringSink sink;
  const absl::StatusOr<int> status = connection.RoundTrip(request, sink);
  server.Join();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(*status, 200);
  EXPECT_EQ(sink.body, "{}");
  EXPECT_EQ(received, "POST /post HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server.port()) +
                          "\r\nUser-Agent: lmc/0.1\r\nContent-Type: application/json\r\n"
                          "X-Empty: \r\nContent-Length: 7\r\n\r\n{\"a\":1}");
}

TEST(HttpConnection, GetWithoutBodySendsNoContentLength) {
  ScriptedServer server;
  std::string received;
  server.Run([&](ScriptedServer& s) {
    const int fd = s.Accept();
    received = s.ReadRequest(fd);
    s.Send(fd, Reply("x"));
  });
  HttpConnection connection(EndpointOf(server), {});
  StringSink sink;
  ASSERT_TRUE(connection.RoundTrip(Get(), sink).ok());
  server.Join();
  EXPECT_EQ(received.find("Content-Length"), std::string::npos);
  EXPECT_THAT(received, StartsWith("GET /next HTTP/1.1\r\n"));
}

TEST(HttpConnection, EmptyPostBodySendsContentLengthZero) {
  ScriptedServer server;
  std::string received;
  server.Run([&](ScriptedServer& s) {
    const int fd = s.Accept();
    received = s.ReadRequest(fd);
    s.Send(fd, Reply(""));
  });
  HttpConnection connection(EndpointOf(server), {});
  StringSink sink;
  ASSERT_TRUE(connection.RoundTrip(Post(""), sink).ok());
  server.Join();
  EXPECT_THAT(received, HasSubstr("\r\nContent-Length: 0\r\n\r\n"));
}

TEST(HttpConnection, ReusesOneConnectionAcrossRequests) {
  ScriptedServer server;
  server.Run([](ScriptedServer& s) {
    const int fd = s.Accept();
    for (int i = 0; i < 3; ++i) {
      s.ReadRequest(fd);
      s.Send(fd, Reply("reply " + std::to_string(i)));
    }
  });
  HttpConnection connection(EndpointOf(server), {});
  for (int i = 0; i < 3; ++i) {
    StringSink sink;
    ASSERT_TRUE(connection.RoundTrip(i == 1 ? Post("p") : Get(), sink).ok());
    EXPECT_EQ(sink.body, "reply " + std::to_string(i));
    EXPECT_TRUE(connection.is_open());
  }
  server.Join();
  EXPECT_EQ(connection.connections_opened(), 1u);
  EXPECT_EQ(server.accepted(), 1);
}

// The peer closes a kept-alive connection while it is idle (a FIN, or an RST): the next request
// must not fail, it is sent again on a new connection.
class StaleConnectionTest : public ::testing::TestWithParam<bool> {};

TEST_P(StaleConnectionTest, ServerClosingAnIdleConnectionIsRetriedTransparently) {
  const bool reset = GetParam();
  Latch closed;
  ScriptedServer server;  // After the latches: its thread uses them until joined.
  std::string second_request;
  server.Run([&](ScriptedServer& s) {
    const int first = s.Accept();
    s.ReadRequest(first);
    s.Send(first, Reply("one"));
    s.Close(first, reset);
    closed.Set();
    const int second = s.Accept();
    second_request = s.ReadRequest(second);
    s.Send(second, Reply("two"));
  });
  HttpConnection connection(EndpointOf(server), {});
  StringSink one;
  ASSERT_TRUE(connection.RoundTrip(Get(), one).ok());
  ASSERT_TRUE(closed.Wait());
  ASSERT_TRUE(connection.is_open());  // It does not know yet.
  StringSink two;
  const absl::StatusOr<int> status = connection.RoundTrip(Post("body"), two);
  server.Join();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(two.body, "two");
  EXPECT_EQ(connection.connections_opened(), 2u);
  EXPECT_THAT(second_request, HasSubstr("\r\n\r\nbody"));
}

INSTANTIATE_TEST_SUITE_P(FinOrReset, StaleConnectionTest, ::testing::Bool());

TEST(HttpConnection, StaleRetryHappensOnlyOnce) {
  Latch closed;
  ScriptedServer server;  // After the latches: its thread uses them until joined.
  server.Run([&](ScriptedServer& s) {
    const int first = s.Accept();
    s.ReadRequest(first);
    s.Send(first, Reply("one"));
    s.Close(first);
    closed.Set();
    // The retry, on a new connection, is closed too: that is a real failure.
    const int second = s.Accept();
    s.ReadRequest(second);
    s.Close(second);
  });
  HttpConnection connection(EndpointOf(server), {});
  StringSink one;
  ASSERT_TRUE(connection.RoundTrip(Get(), one).ok());
  ASSERT_TRUE(closed.Wait());
  StringSink two;
  const absl::StatusOr<int> status = connection.RoundTrip(Get(), two);
  server.Join();
  EXPECT_EQ(status.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(connection.connections_opened(), 2u);
  EXPECT_FALSE(connection.is_open());
}

TEST(HttpConnection, ResetOfAFreshConnectionIsNotRetried) {
  ScriptedServer server;
  server.Run([](ScriptedServer& s) {
    const int fd = s.Accept();
    s.ReadRequest(fd);
    s.Close(fd, /*reset=*/true);
  });
  HttpConnection connection(EndpointOf(server), {});
  StringSink sink;
  const absl::StatusOr<int> status = connection.RoundTrip(Get(), sink);
  server.Join();
  EXPECT_EQ(status.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(connection.connections_opened(), 1u);
  EXPECT_EQ(server.accepted(), 1);
}

TEST(HttpConnection, ServerClosingMidReplyIsAnErrorAndNotRetried) {
  ScriptedServer server;
  server.Run([](ScriptedServer& s) {
    const int fd = s.Accept();
    s.ReadRequest(fd);
    s.Send(fd, Reply("first"));
    s.ReadRequest(fd);
    // Part of a reply, then the connection ends: a reply byte arrived, so no retry.
    s.Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    s.Close(fd);
  });
  HttpConnection connection(EndpointOf(server), {});
  StringSink first;
  ASSERT_TRUE(connection.RoundTrip(Get(), first).ok());
  StringSink second;
  const absl::StatusOr<int> status = connection.RoundTrip(Get(), second);
  server.Join();
  EXPECT_EQ(status.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.status().message(), HasSubstr("closed before the response was complete"));
  EXPECT_EQ(connection.connections_opened(), 1u);
  EXPECT_EQ(server.accepted(), 1);
  EXPECT_FALSE(connection.is_open());
}

TEST(HttpConnection, ConnectionCloseReplyEndsTheConnectionAndTheNextRequestOpensOne) {
  ScriptedServer server;
  server.Run([](ScriptedServer& s) {
    const int first = s.Accept();
    s.ReadRequest(first);
    s.Send(first, Reply("bye", "Connection: close\r\n"));
    const int second = s.Accept();
    s.ReadRequest(second);
    s.Send(second, Reply("hello again"));
  });
  HttpConnection connection(EndpointOf(server), {});
  StringSink one;
  ASSERT_TRUE(connection.RoundTrip(Get(), one).ok());
  EXPECT_FALSE(connection.is_open());
  StringSink two;
  ASSERT_TRUE(connection.RoundTrip(Get(), two).ok());
  server.Join();
  EXPECT_EQ(two.body, "hello again");
  EXPECT_EQ(connection.connections_opened(), 2u);
}

TEST(HttpConnection, CloseDelimitedReplyIsCompleteAtEof) {
  ScriptedServer server;
  server.Run([](ScriptedServer& s) {
    const int fd = s.Accept();
    s.ReadRequest(fd);
    s.Send(fd, "HTTP/1.1 200 OK\r\n\r\nuntil the end");
    s.Close(fd);
  });
  HttpConnection connection(EndpointOf(server), {});
  StringSink sink(/*in_place=*/true);
  const absl::StatusOr<int> status = connection.RoundTrip(Get(), sink);
  server.Join();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(sink.body, "until the end");
  EXPECT_FALSE(connection.is_open());
}

TEST(HttpConnection, LargeBodyIsReceivedInPlaceAfterTheHeaders) {
  std::string body(3 << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 7 + (i >> 12));
  ScriptedServer server;
  server.Run([&](ScriptedServer& s) {
    const int fd = s.Accept();
    s.ReadRequest(fd);
    s.Send(fd, Reply(body));
  });
  HttpConnectionOptions options;
  options.read_buffer_bytes = 4096;
  HttpConnection connection(EndpointOf(server), options);
  StringSink sink(/*in_place=*/true);
  ASSERT_TRUE(connection.RoundTrip(Get(), sink).ok());
  server.Join();
  EXPECT_TRUE(sink.body == body);
  // At most one read buffer's worth went through the copy path: what came with the headers.
  EXPECT_LE(sink.fed_bytes, options.read_buffer_bytes);
  EXPECT_EQ(sink.fed_bytes + sink.in_place_bytes, body.size());
}

TEST(HttpConnection, ChunkedBodyWithLargeChunksIsReceivedInPlace) {
  const std::string a(100000, 'a');
  const std::string b(10, 'b');
  ScriptedServer server;
  server.Run([&](ScriptedServer& s) {
    const int fd = s.Accept();
    s.ReadRequest(fd);
    char size[32];
    std::string reply = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    std::snprintf(size, sizeof(size), "%zx;ext=1\r\n", a.size());
    reply += size + a + "\r\n";
    std::snprintf(size, sizeof(size), "%zx\r\n", b.size());
    reply += size + b + "\r\n0\r\nX-Trailer: t\r\n\r\n";
    s.Send(fd, reply);
    s.ReadRequest(fd);
    s.Send(fd, Reply("after"));
  });
  HttpConnectionOptions options;
  options.read_buffer_bytes = 1024;
  HttpConnection connection(EndpointOf(server), options);
  StringSink sink(/*in_place=*/true);
  ASSERT_TRUE(connection.RoundTrip(Get(), sink).ok());
  EXPECT_TRUE(sink.body == a + b);
  EXPECT_GT(sink.in_place_bytes, 0u);
  // The connection stays usable after a chunked reply with trailers.
  StringSink after;
  ASSERT_TRUE(connection.RoundTrip(Get(), after).ok());
  server.Join();
  EXPECT_EQ(after.body, "after");
  EXPECT_EQ(connection.connections_opened(), 1u);
}

TEST(HttpConnection, InterimContinueIsSkipped) {
  ScriptedServer server;
  server.Run([](ScriptedServer& s) {
    const int fd = s.Accept();
    s.ReadRequest(fd);
    s.Send(fd, "HTTP/1.1 100 Continue\r\n\r\n" + Reply("{\"status\":\"OK\"}"));
  });
  HttpConnection connection(EndpointOf(server), {});
  StringSink sink;
  const absl::StatusOr<int> status = connection.RoundTrip(Post("x"), sink);
  server.Join();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(*status, 200);
  EXPECT_EQ(sink.body, "{\"status\":\"OK\"}");
}

TEST(HttpConnection, ErrorStatusesAreRepliesNotFailures) {
  ScriptedServer server;
  server.Run([](ScriptedServer& s) {
    const int fd = s.Accept();
    s.ReadRequest(fd);
    s.Send(fd, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy");
  });
  HttpConnection connection(EndpointOf(server), {});
  StringSink sink;
  const absl::StatusOr<int> status = connection.RoundTrip(Get(), sink);
  server.Join();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(*status, 503);
  EXPECT_EQ(sink.body, "busy");
  EXPECT_TRUE(connection.is_open());
}

TEST(HttpConnection, BodyOverTheLimitIsResourceExhaustedWithHeadersDelivered) {
  ScriptedServer server;
  server.Run([](ScriptedServer& s) {
    const int fd = s.Accept();
    s.ReadRequest(fd);
    s.Send(fd, Reply(std::string(1000, 'x'), "X-Request-Id: r1\r\n"));
    s.ReadRequest(fd);  // Returns at EOF: the client closed.
  });
  HttpConnection connection(EndpointOf(server), {});
  StringSink sink(/*in_place=*/true);
  OutgoingRequest request = Get();
  request.max_response_body_bytes = 999;
  const absl::StatusOr<int> status = connection.RoundTrip(request, sink);
  EXPECT_EQ(status.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(sink.headers, ::testing::Contains("X-Request-Id: r1"));
  EXPECT_FALSE(connection.is_open());
  server.Join();
}

TEST(HttpConnection, MalformedReplyIsUnavailable) {
  ScriptedServer server;
  server.Run([](ScriptedServer& s) {
    const int fd = s.Accept();
    s.ReadRequest(fd);
    s.Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc");
  });
  HttpConnection connection(EndpointOf(server), {});
  StringSink sink;
  const absl::StatusOr<int> status = connection.RoundTrip(Get(), sink);
  server.Join();
  EXPECT_EQ(status.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.status().message(), HasSubstr("Content-Length"));
  EXPECT_FALSE(connection.is_open());
}

TEST(HttpConnection, BytesBeyondTheReplyCloseTheConnection) {
  ScriptedServer server;
  server.Run([](ScriptedServer& s) {
    const int fd = s.Accept();
    s.ReadRequest(fd);
    s.Send(fd, Reply("ok") + "HTTP/1.1 200 OK\r\n");
  });
  HttpConnection connection(EndpointOf(server), {});
  StringSink sink;
  const absl::StatusOr<int> status = connection.RoundTrip(Get(), sink);
  server.Join();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(sink.body, "ok");
  EXPECT_FALSE(connection.is_open());  // Out of step with the peer: never reused.
}

TEST(HttpConnection, TimeoutWhileWaitingForTheReply) {
  Latch done;
  ScriptedServer server;  // After the latches: its thread uses them until joined.
  server.Run([&](ScriptedServer& s) {
    const int fd = s.Accept();
    s.ReadRequest(fd);
    done.Wait();  // Never answers.
  });
  HttpConnection connection(EndpointOf(server), {});
  StringSink sink;
  const auto start = std::chrono::steady_clock::now();
  const absl::StatusOr<int> status =
      connection.RoundTrip(Post("x", std::chrono::milliseconds(200)), sink);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  done.Set();
  EXPECT_EQ(status.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_GE(elapsed, std::chrono::milliseconds(200));
  EXPECT_LT(elapsed, std::chrono::seconds(30));
  EXPECT_FALSE(connection.is_open());
}

TEST(HttpConnection, ConnectionRefusedIsUnavailable) {
  HttpEndpoint endpoint;
  {
    ScriptedServer closed;  // Bound, then closed: nothing listens on its port afterwards.
    endpoint = EndpointOf(closed);
  }
  HttpConnection connection(endpoint, {});
  StringSink sink;
  const absl::StatusOr<int> status = connection.RoundTrip(Get(), sink);
  EXPECT_EQ(status.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.status().message(), HasSubstr("connect"));
}

TEST(HttpConnection, ResolvesANameWhenTheHostIsNotNumeric) {
  ScriptedServer server;  // 127.0.0.1 only: "localhost" may resolve to ::1 first.
  server.Run([](ScriptedServer& s) {
    const int fd = s.Accept();
    s.ReadRequest(fd);
    s.Send(fd, Reply("by name"));
  });
  const auto endpoint = ParseEndpoint("localhost:" + std::to_string(server.port()));
  ASSERT_TRUE(endpoint.ok());
  HttpConnection connection(*endpoint, {});
  StringSink sink;
  const absl::StatusOr<int> status = connection.RoundTrip(Get(), sink);
  server.Join();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(sink.body, "by name");
}

TEST(HttpConnection, ConnectsToIpv6Loopback) {
  const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    if (fd >= 0) ::close(fd);
    GTEST_SKIP() << "no IPv6 loopback here";
  }
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  std::thread server([fd] {
    const int client = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
    char buffer[4096];
    (void)::recv(client, buffer, sizeof(buffer), 0);
    const std::string reply = Reply("v6");
    (void)::send(client, reply.data(), reply.size(), MSG_NOSIGNAL);
    ::close(client);
  });
  const auto endpoint = ParseEndpoint("[::1]:" + std::to_string(ntohs(address.sin6_port)));
  ASSERT_TRUE(endpoint.ok());
  HttpConnection connection(*endpoint, {});
  StringSink sink;
  const absl::StatusOr<int> status = connection.RoundTrip(Get(), sink);
  server.join();
  ::close(fd);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(sink.body, "v6");
}

// A body far larger than the socket buffers: a non-blocking sendmsg() (with a timeout) returns
// partial writes and EAGAIN, a blocking one may be cut short; the whole body still arrives intact.
class PartialWriteTest : public ::testing::TestWithParam<bool> {};

TEST_P(PartialWriteTest, LargeBodyArrivesWholeDespitePartialWrites) {
  const bool with_timeout = GetParam();
  std::string body(8 << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>((i * 131) >> 3);
  ScriptedServer server;
  std::string received;
  server.Run([&](ScriptedServer& s) {
    const int fd = s.Accept();
    received = s.ReadRequest(fd);
    s.Send(fd, Reply("got it"));
  });
  HttpConnection connection(EndpointOf(server), {});
  StringSink sink;
  const absl::StatusOr<int> status = connection.RoundTrip(
      Post(body, with_timeout ? std::chrono::milliseconds(60000) : std::chrono::milliseconds(0)),
      sink);
  server.Join();
  ASSERT_TRUE(status.ok()) << status.status();
  const size_t head_end = received.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  EXPECT_TRUE(received.substr(head_end + 4) == body);
}

INSTANTIATE_TEST_SUITE_P(BlockingOrTimed, PartialWriteTest, ::testing::Bool());

}  // namespace
}  // namespace lmc::transport_internal
