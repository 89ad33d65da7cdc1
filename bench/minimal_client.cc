// lmc-bench-client: the reference for the benchmarks. It does the same exchange as a runtime,
// GET /next then POST /response, on one kept-alive socket per loop, and nothing else: no log
// lines, no temp dirs, no JSON, no libcurl. What it achieves is the limit of the machine and the
// emulator; the runtime's figures are reported as ratios to it.
//
// Environment (as a bootstrap gets it): AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_MAX_CONCURRENCY (N
// loops, default 1) and _HANDLER: "echo" (answer with the event) or "sleep" (wait for the event's
// "ms" value, answer {"slept_ms":N}). Exits 0 on SIGTERM or when the API closes the connection.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Target {
  sockaddr_in address{};
  bool sleep = false;
};

// Case-insensitive search for a header name at the start of a line; returns its value start.
const char* FindHeader(const char* headers, size_t length, const char* name) {
  const size_t name_length = std::strlen(name);
  for (size_t i = 0; i + name_length < length; ++i) {
    if ((i == 0 || headers[i - 1] == '\n') && ::strncasecmp(headers + i, name, name_length) == 0) {
      const char* v = headers + i + name_length;
      while (*v == ' ') ++v;
      return v;
    }
  }
  return nullptr;
}

void Loop(const Target& target) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&target.address),
                          sizeof(target.address)) != 0) {
    return;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  static constexpr char kNext[] =
      "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: l\r\n\r\n";
  // Sized once for the largest event (6 MB + headers): no allocation per invocation. Not
  // zero-filled: pages are only touched as far as events reach.
  constexpr size_t kCapacity = 7 << 20;
  const std::unique_ptr<char[]> buffer(new char[kCapacity]);
  char* const in = buffer.get();
  char head[512];
  for (;;) {
    if (::write(fd, kNext, sizeof(kNext) - 1) != static_cast<ssize_t>(sizeof(kNext) - 1)) return;
    size_t have = 0;
    size_t header_end = 0;
    for (;;) {
      const ssize_t n = ::read(fd, in + have, kCapacity - have);
      if (n <= 0) return;
      have += static_cast<size_t>(n);
      const char* end = static_cast<const char*>(memmem(in, have, "\r\n\r\n", 4));
      if (end != nullptr) {
        header_end = static_cast<size_t>(end - in) + 4;
        break;
      }
    }
    const char* length_value = FindHeader(in, header_end, "Content-Length:");
    const char* id = FindHeader(in, header_end, "Lambda-Runtime-Aws-Request-Id:");
    if (length_value == nullptr || id == nullptr) return;
    const size_t body_length = std::strtoul(length_value, nullptr, 10);
    const size_t id_length = std::strcspn(id, "\r\n");
    while (have < header_end + body_length) {
      const ssize_t n = ::read(fd, in + have, kCapacity - have);
      if (n <= 0) return;
      have += static_cast<size_t>(n);
    }
    const char* body = in + header_end;
    size_t answer_length = body_length;
    char slept[64];
    if (target.sleep) {
      const char* ms = static_cast<const char*>(memmem(body, body_length, "\"ms\":", 5));
      const long millis = ms != nullptr ? std::strtol(ms + 5, nullptr, 10) : 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(millis));
      answer_length =
          static_cast<size_t>(std::snprintf(slept, sizeof(slept), "{\"slept_ms\":%ld}", millis));
      body = slept;
    }
    const int head_length =
        std::snprintf(head, sizeof(head),
                      "POST /2018-06-01/runtime/invocation/%.*s/response HTTP/1.1\r\nHost: l\r\n"
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                      static_cast<int>(id_length), id, answer_length);
    iovec parts[2] = {{head, static_cast<size_t>(head_length)},
                      {const_cast<char*>(body), answer_length}};
    size_t left = static_cast<size_t>(head_length) + answer_length;
    while (left > 0) {
      const ssize_t n = ::writev(fd, parts, 2);
      if (n <= 0) return;
      left -= static_cast<size_t>(n);
      size_t consumed = static_cast<size_t>(n);
      for (iovec& part : parts) {
        const size_t take = std::min(consumed, part.iov_len);
        part.iov_base = static_cast<char*>(part.iov_base) + take;
        part.iov_len -= take;
        consumed -= take;
      }
    }
    // The 202 reply: headers plus a small body; read until the header end and Content-Length.
    have = 0;
    for (;;) {
      const ssize_t n = ::read(fd, in + have, 4096);
      if (n <= 0) return;
      have += static_cast<size_t>(n);
      const char* end = static_cast<const char*>(memmem(in, have, "\r\n\r\n", 4));
      if (end == nullptr) continue;
      const size_t reply_header = static_cast<size_t>(end - in) + 4;
      const char* reply_length = FindHeader(in, reply_header, "Content-Length:");
      const size_t need =
          reply_header + (reply_length ? std::strtoul(reply_length, nullptr, 10) : 0);
      if (have >= need) break;
    }
  }
}

}  // namespace

int main() {
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGTERM, [](int) { ::_exit(0); });
  const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API");
  if (api == nullptr) return 1;
  const std::string endpoint(api);
  const size_t colon = endpoint.rfind(':');
  Target target;
  target.address.sin_family = AF_INET;
  target.address.sin_port = htons(static_cast<uint16_t>(std::atoi(endpoint.c_str() + colon + 1)));
  ::inet_pton(AF_INET, endpoint.substr(0, colon).c_str(), &target.address.sin_addr);
  const char* handler = std::getenv("_HANDLER");
  target.sleep = handler != nullptr && std::strcmp(handler, "sleep") == 0;
  const char* n = std::getenv("AWS_LAMBDA_MAX_CONCURRENCY");
  const int loops = n != nullptr ? std::max(1, std::atoi(n)) : 1;
  std::vector<std::thread> threads;
  for (int i = 0; i < loops; ++i) threads.emplace_back([&target] { Loop(target); });
  for (std::thread& t : threads) t.join();
  return 0;
}
