// File: handlers/durable/internal/local_http_server.h
//
// LocalHttpServer: a one-thread HTTP/1.1 server on 127.0.0.1 for lmc::durable's own tests (the
// Lambda client's signatures, the container credential provider). Each connection carries one
// request: the server reads it whole (head and Content-Length body), keeps its raw bytes, writes
// what the responder returns for it and closes the connection. Header-only; tests only.
//
// Example:
//
//   LocalHttpServer server([](const std::string& request) {
//     return LocalHttpServer::Answer(200, R"({"ok":true})");
//   });
//   Get(absl::StrCat("http://127.0.0.1:", server.port(), "/x"));
//   EXPECT_EQ(LocalHttpServer::Header(server.requests()[0], "Host"), ...);
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lmc/mutex.h"
#include "lmc/strings.h"

namespace lmc::durable::internal {

// LocalHttpServer
//
// Thread-safe: requests() may be read while the server runs. The responder runs on the
// server's thread, one request at a time. The destructor stops the server and joins its thread.
class LocalHttpServer {
 public:
  using Responder = std::function<std::string(const std::string& request)>;

  explicit LocalHttpServer(Responder respond) : respond_(std::move(respond)) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    ok_ = listener_ >= 0 && bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
          listen(listener_, 64) == 0 &&
          getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    port_ = ntohs(addr.sin_port);
    if (ok_) thread_ = std::thread([this] { Serve(); });
  }
  // Answers the scripted responses in order, one per request; 500 once they run out.
  explicit LocalHttpServer(std::vector<std::string> responses)
      : LocalHttpServer(Scripted(std::move(responses))) {}

  ~LocalHttpServer() {
    // Wakes the accept loop: poll() reports the shut-down listener, accept() fails.
    if (listener_ >= 0) shutdown(listener_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    if (listener_ >= 0) close(listener_);
  }
  LocalHttpServer(const LocalHttpServer&) = delete;
  LocalHttpServer& operator=(const LocalHttpServer&) = delete;

  // False when the socket could not be set up (the tests using it then fail on their requests).
  bool ok() const { return ok_; }
  int port() const { return port_; }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_); }
  std::vector<std::string> requests() const {
    MutexLock lock(&mu_);
    return requests_;
  }

  // A whole HTTP/1.1 answer with a JSON body.
  static std::string Answer(int status, std::string_view body,
                            std::string_view extra_headers = "") {
    return absl::StrCat("HTTP/1.1 ", status, " X\r\nContent-Type: application/json\r\n",
                        AsAbsl(extra_headers), "Content-Length: ", body.size(),
                        "\r\nConnection: close\r\n\r\n", AsAbsl(body));
  }
  // The value of header `name` (case-insensitive) in a raw request; the first of several; "" when
  // absent.
  static std::string Header(const std::string& request, std::string_view name) {
    size_t line = request.find("\r\n") + 2;
    while (line < request.size()) {
      const size_t end = request.find("\r\n", line);
      if (end == line || end == std::string::npos) break;
      const std::string_view text(request.data() + line, end - line);
      const size_t colon = text.find(':');
      if (colon != std::string_view::npos && EqualsIgnoreCase(text.substr(0, colon), name)) {
        return std::string(StripAsciiWhitespace(text.substr(colon + 1)));
      }
      line = end + 2;
    }
    return "";
  }
  static std::string RequestLine(const std::string& request) {
    return request.substr(0, request.find("\r\n"));
  }
  static std::string Body(const std::string& request) {
    return request.substr(request.find("\r\n\r\n") + 4);
  }

 private:
  static Responder Scripted(std::vector<std::string> responses) {
    auto queue = std::make_shared<std::deque<std::string>>(responses.begin(), responses.end());
    // Called on the server's thread only.
    return [queue](const std::string&) {
      if (queue->empty()) return Answer(500, R"({"message":"no more scripted answers"})");
      std::string next = std::move(queue->front());
      queue->pop_front();
      return next;
    };
  }

  void Serve() {
    while (true) {
      pollfd ready{listener_, POLLIN, 0};
      if (poll(&ready, 1, -1) <= 0) return;
      const int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) return;  // shut down
      std::string request = ReadRequest(fd);
      const std::string response = respond_(request);
      {
        MutexLock lock(&mu_);
        requests_.push_back(std::move(request));
      }
      (void)send(fd, response.data(), response.size(), MSG_NOSIGNAL);
      close(fd);
    }
  }

  static std::string ReadRequest(int fd) {
    std::string data;
    char buffer[65536];
    size_t body_length = 0;
    size_t head_end = std::string::npos;
    while (head_end == std::string::npos || data.size() < head_end + 4 + body_length) {
      pollfd ready{fd, POLLIN, 0};
      if (poll(&ready, 1, 10'000) <= 0) break;  // a client that stalls: give up on it
      const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      data.append(buffer, static_cast<size_t>(n));
      if (head_end == std::string::npos &&
          (head_end = data.find("\r\n\r\n")) != std::string::npos) {
        (void)absl::SimpleAtoi(Header(data.substr(0, head_end + 2), "Content-Length"),
                               &body_length);
      }
    }
    return data;
  }

  const Responder respond_;
  int listener_ = -1;
  int port_ = 0;
  bool ok_ = false;
  std::thread thread_;
  mutable Mutex mu_;
  std::vector<std::string> requests_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lmc::durable::internal
