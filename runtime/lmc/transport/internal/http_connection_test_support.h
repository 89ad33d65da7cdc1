// File: lmc/transport/internal/http_connection_test_support.h
//
// What the HttpConnection tests share (http_connection_test.cc: requests, replies, reuse and
// faults; http_connection_abort_test.cc: Abort() against long polls): a latch, a sink that
// collects a reply, and request and reply builders. The server they talk to is
// tests/support/scripted_server.h. Test-only.
//
// Example:
//
//   ScriptedServer server;
//   server.Run([](ScriptedServer& s) { ... s.Send(fd, Reply("{}")); });
//   HttpConnection connection(EndpointOf(server), {});
//   StringSink sink;
//   EXPECT_EQ(*connection.RoundTrip(Get(), sink), 200);
#pragma once

#include <algorithm>
#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "lmc/mutex.h"
#include "lmc/transport/internal/http_connection.h"
#include "tests/support/scripted_server.h"

namespace lmc::transport_internal {

// Bound on every wait, so a broken test fails instead of hanging.
inline constexpr auto kWait = std::chrono::seconds(60);

// A one-shot event between threads (lmc::Mutex, so TSan sees the synchronisation).
class Latch {
 public:
  void Set() {
    MutexLock lock(&mu_);
    set_ = true;
  }
  bool Wait() {
    MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout([this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return set_; }, kWait);
  }

 private:
  Mutex mu_;
  bool set_ ABSL_GUARDED_BY(mu_) = false;
};

// The client's view of a scripted server's address.
inline HttpEndpoint EndpointOf(const integration::ScriptedServer& server) {
  return *ParseEndpoint(server.address());
}

// Collects a reply; offers in-place memory when `in_place`.
class StringSink : public HttpResponseSink {
 public:
  explicit StringSink(bool in_place = false) : in_place_(in_place) {}
  void OnHeaderLine(std::string_view line) override { headers.emplace_back(line); }
  void OnBody(std::string_view bytes) override {
    body.append(bytes);
    fed_bytes += bytes.size();
  }
  std::span<char> PrepareInPlace(size_t max_bytes) override {
    if (!in_place_) return {};
    const size_t n = std::min<size_t>(max_bytes, 1 << 20);
    prepared_ = body.size();
    body.resize(prepared_ + n);
    return {body.data() + prepared_, n};
  }
  void CommitInPlace(size_t bytes) override {
    body.resize(prepared_ + bytes);
    in_place_bytes += bytes;
  }

  std::vector<std::string> headers;
  std::string body;
  size_t fed_bytes = 0;
  size_t in_place_bytes = 0;

 private:
  bool in_place_;
  size_t prepared_ = 0;
};

inline std::string Reply(std::string_view body, std::string_view extra_headers = "") {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         std::string(extra_headers) + "\r\n" + std::string(body);
}

inline OutgoingRequest Get(std::string_view target = "/next") {
  OutgoingRequest request;
  request.method = "GET";
  request.target = target;
  return request;
}

inline OutgoingRequest Post(std::string_view body, std::chrono::milliseconds timeout = {}) {
  OutgoingRequest request;
  request.method = "POST";
  request.target = "/post";
  request.body = body;
  request.has_body = true;
  request.timeout = timeout;
  return request;
}

inline OutgoingRequest LongPoll() {
  OutgoingRequest request = Get();
  request.long_poll = true;
  return request;
}

}  // namespace lmc::transport_internal
