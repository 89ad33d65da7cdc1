#include "tests/support/scripted_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "lmc/strings.h"

namespace lmc::integration {
namespace {

// The Content-Length of a request head (0 when absent).
size_t ContentLength(std::string_view head) {
  size_t pos = 0;
  while ((pos = head.find("\r\n", pos)) != std::string_view::npos) {
    pos += 2;
    const std::string_view line = head.substr(pos, head.find("\r\n", pos) - pos);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos &&
        EqualsIgnoreCase(line.substr(0, colon), "content-length")) {
      return std::stoul(std::string(line.substr(colon + 1)));
    }
  }
  return 0;
}

}  // namespace

ScriptedServer::ScriptedServer() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  EXPECT_EQ(::listen(listen_fd_, 16), 0);
  socklen_t length = sizeof(address);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
}

ScriptedServer::~ScriptedServer() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    for (int fd : open_) ::shutdown(fd, SHUT_RDWR);
  }
  if (thread_.joinable()) thread_.join();
  MutexLock lock(&mu_);
  for (int fd : open_) ::close(fd);
  ::close(listen_fd_);
}

void ScriptedServer::Run(std::function<void(ScriptedServer&)> script) {
  thread_ = std::thread([this, script = std::move(script)] { script(*this); });
}

void ScriptedServer::Join() { thread_.join(); }

std::string ScriptedServer::address() const { return "127.0.0.1:" + std::to_string(port_); }

int ScriptedServer::Accept() {
  const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return -1;
  MutexLock lock(&mu_);
  open_.push_back(fd);
  ++accepted_;
  if (stopping_) ::shutdown(fd, SHUT_RDWR);
  return fd;
}

std::string ScriptedServer::ReadRequest(int fd) {
  std::string& buffer = pending_[fd];
  for (;;) {
    const size_t head_end = buffer.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      const size_t total = head_end + 4 + ContentLength(buffer.substr(0, head_end));
      if (buffer.size() >= total) {
        std::string request = buffer.substr(0, total);
        buffer.erase(0, total);
        return request;
      }
    }
    char chunk[65536];
    const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) return "";
    buffer.append(chunk, static_cast<size_t>(n));
  }
}

void ScriptedServer::Send(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void ScriptedServer::Close(int fd, bool reset) {
  if (reset) {
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  }
  pending_.erase(fd);
  MutexLock lock(&mu_);
  open_.erase(std::find(open_.begin(), open_.end(), fd));
  ::close(fd);
  ++closed_;
}

int ScriptedServer::accepted() {
  MutexLock lock(&mu_);
  return accepted_;
}

bool ScriptedServer::WaitForClosed(int n) {
  MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return closed_ >= n; },
                              std::chrono::seconds(60));
}

}  // namespace lmc::integration
