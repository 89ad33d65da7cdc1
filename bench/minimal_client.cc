// lmc-bench-client: the reference for the benchmarks. It does the same exchange as a runtime,
// GET /next then POST /response, on one kept-alive socket per loop, and nothing else: no log
// lines, no temp dirs, no JSON, no libcurl. What it achieves is the limit of the machine and the
// emulator; the runtime's figures are reported as ratios to it.
//
// Environment (as a bootstrap gets it): AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_MAX_CONCURRENCY (N
// loops, default 1) and _HANDLER: "echo" (answer with the event), "sleep" (wait for the event's
// "ms" value, answer {"slept_ms":N}) or "stream" (the diagnostic stream handler's work without
// delays: stream the event's "chunks" chunks of "bytes" bytes each, chunk i filled with
// 'a' + i % 26, as a chunked streaming response). Exits 0 on SIGTERM or when the API closes the
// connection.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
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
  bool stream = false;
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

// Writes all of `parts` (advancing them); false when the connection fails.
bool WriteAll(int fd, iovec* parts, int count) {
  size_t left = 0;
  for (int i = 0; i < count; ++i) left += parts[i].iov_len;
  while (left > 0) {
    const ssize_t n = ::writev(fd, parts, count);
    if (n <= 0) return false;
    left -= static_cast<size_t>(n);
    size_t consumed = static_cast<size_t>(n);
    for (int i = 0; i < count; ++i) {
      const size_t take = std::min(consumed, parts[i].iov_len);
      parts[i].iov_base = static_cast<char*>(parts[i].iov_base) + take;
      parts[i].iov_len -= take;
      consumed -= take;
    }
  }
  return true;
}

// The integer after `key` (e.g. "\"ms\":") in `body`, or 0.
long JsonInt(const char* body, size_t length, const char* key) {
  const size_t key_length = std::strlen(key);
  const char* at = static_cast<const char*>(memmem(body, length, key, key_length));
  return at != nullptr ? std::strtol(at + key_length, nullptr, 10) : 0;
}

// The buffered answer: echo the event, or sleep and answer {"slept_ms":N}.
bool Respond(int fd, const Target& target, const char* id, size_t id_length, const char* body,
             size_t body_length) {
  size_t answer_length = body_length;
  char slept[64];
  if (target.sleep) {
    const long millis = JsonInt(body, body_length, "\"ms\":");
    std::this_thread::sleep_for(std::chrono::milliseconds(millis));
    answer_length =
        static_cast<size_t>(std::snprintf(slept, sizeof(slept), "{\"slept_ms\":%ld}", millis));
    body = slept;
  }
  char head[512];
  const int head_length =
      std::snprintf(head, sizeof(head),
                    "POST /2018-06-01/runtime/invocation/%.*s/response HTTP/1.1\r\nHost: l\r\n"
                    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                    static_cast<int>(id_length), id, answer_length);
  iovec parts[2] = {{head, static_cast<size_t>(head_length)},
                    {const_cast<char*>(body), answer_length}};
  return WriteAll(fd, parts, 2);
}

// The streamed answer: the head, then one HTTP chunk per write (size line, data and CRLF in one
// writev, as a runtime sends each write at once), then the last chunk. `chunk` is the reused
// write buffer.
bool Stream(int fd, const char* id, size_t id_length, const char* body, size_t body_length,
            std::string& chunk) {
  const long chunks = JsonInt(body, body_length, "\"chunks\":");
  const long bytes = JsonInt(body, body_length, "\"bytes\":");
  char head[512];
  const int head_length = std::snprintf(
      head, sizeof(head),
      "POST /2018-06-01/runtime/invocation/%.*s/response HTTP/1.1\r\nHost: l\r\n"
      "Content-Type: application/octet-stream\r\n"
      "Lambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\n"
      "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n\r\n",
      static_cast<int>(id_length), id);
  iovec head_part = {head, static_cast<size_t>(head_length)};
  if (!WriteAll(fd, &head_part, 1)) return false;
  chunk.resize(static_cast<size_t>(std::max(0L, bytes)));
  for (long i = 0; i < chunks && !chunk.empty(); ++i) {
    std::memset(chunk.data(), 'a' + static_cast<int>(i % 26), chunk.size());
    char size_line[32];
    const int size_length = std::snprintf(size_line, sizeof(size_line), "%zx\r\n", chunk.size());
    char crlf[] = "\r\n";
    iovec parts[3] = {
        {size_line, static_cast<size_t>(size_length)}, {chunk.data(), chunk.size()}, {crlf, 2}};
    if (!WriteAll(fd, parts, 3)) return false;
  }
  char last[] = "0\r\n\r\n";
  iovec last_part = {last, sizeof(last) - 1};
  return WriteAll(fd, &last_part, 1);
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
  std::string chunk;
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
    const bool sent = target.stream ? Stream(fd, id, id_length, body, body_length, chunk)
                                    : Respond(fd, target, id, id_length, body, body_length);
    if (!sent) return;
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
  target.stream = handler != nullptr && std::strcmp(handler, "stream") == 0;
  const char* n = std::getenv("AWS_LAMBDA_MAX_CONCURRENCY");
  const int loops = n != nullptr ? std::max(1, std::atoi(n)) : 1;
  std::vector<std::thread> threads;
  for (int i = 0; i < loops; ++i) threads.emplace_back([&target] { Loop(target); });
  for (std::thread& t : threads) t.join();
  return 0;
}
