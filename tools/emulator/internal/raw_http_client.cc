#include "tools/emulator/internal/raw_http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "lmc/base/http/chunked_decoder.h"
#include "lmc/base/http/http_fields.h"
#include "lmc/status_macros.h"
#include "lmc/strings.h"

namespace lmc::emulator::internal {

RawHttpClient::~RawHttpClient() {
  if (fd_ >= 0) close(fd_);
}

absl::Status RawHttpClient::Connect(int port, absl::Duration io_timeout) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return absl::ErrnoToStatus(errno, "socket");
  if (io_timeout != absl::InfiniteDuration()) {
    const timeval tv = absl::ToTimeval(io_timeout);
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  }
  const int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::ErrnoToStatus(errno, "connect");
  }
  return absl::OkStatus();
}

absl::Status RawHttpClient::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::ErrnoToStatus(errno, "send");
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status RawHttpClient::Fill() {
  char chunk[65536];
  for (;;) {
    const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n > 0) {
      buf_.append(chunk, static_cast<size_t>(n));
      return absl::OkStatus();
    }
    if (n == 0) return absl::UnavailableError("connection closed by the server");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return absl::DeadlineExceededError("read timeout");
    if (errno == ECONNRESET) return absl::AbortedError("connection reset by the server");
    return absl::ErrnoToStatus(errno, "recv");
  }
}

absl::StatusOr<RawHttpResponse> RawHttpClient::ReadResponse() {
  size_t header_end;
  while ((header_end = buf_.find("\r\n\r\n")) == std::string::npos) {
    const bool started = !buf_.empty();
    absl::Status s = Fill();
    if (!s.ok()) {
      if (started && absl::IsUnavailable(s)) return absl::DataLossError("closed inside headers");
      return s;
    }
  }
  RawHttpResponse response;
  std::string_view head(buf_.data(), header_end);
  const size_t line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") {
    return absl::DataLossError(absl::StrCat("bad status line: ", std::string(status_line)));
  }
  std::from_chars(status_line.data() + 9, status_line.data() + 12, response.status);
  std::string_view rest = line_end == std::string_view::npos ? "" : head.substr(line_end + 2);
  lmc::http::ContentLength length;
  lmc::http::TransferCoding coding;
  while (!rest.empty()) {
    const size_t eol = rest.find("\r\n");
    const std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? "" : rest.substr(eol + 2);
    lmc::http::FieldLine field;
    if (!lmc::http::SplitFieldLine(line, field)) {
      return absl::DataLossError(absl::StrCat("bad header field: ", std::string(line)));
    }
    std::string name(field.name);
    absl::AsciiStrToLower(&name);
    if (name == "content-length" && !length.Add(field.value)) {
      return absl::DataLossError("bad Content-Length");
    }
    if (name == "transfer-encoding" &&
        coding.Add(field.value) != lmc::http::TransferCoding::Verdict::kOk) {
      return absl::DataLossError("unsupported Transfer-Encoding");
    }
    response.headers.emplace_back(std::move(name), std::string(field.value));
  }
  buf_.erase(0, header_end + 4);
  if (response.status == 100) return response;  // interim: no body
  if (coding.chunked()) return ReadChunkedBody(std::move(response));
  if (length.present()) {
    const auto size = static_cast<size_t>(length.value());
    while (buf_.size() < size) {
      absl::Status s = Fill();
      if (!s.ok()) {
        if (absl::IsUnavailable(s)) return absl::DataLossError("closed inside the body");
        return s;
      }
    }
    response.body = buf_.substr(0, size);
    buf_.erase(0, size);
    return response;
  }
  // No Content-Length: the body runs to the end of the connection.
  for (;;) {
    absl::Status s = Fill();
    if (absl::IsUnavailable(s)) break;
    if (!s.ok()) return s;
  }
  response.body = std::move(buf_);
  buf_.clear();
  return response;
}

absl::StatusOr<RawHttpResponse> RawHttpClient::ReadChunkedBody(RawHttpResponse response) {
  struct Sink : lmc::http::ChunkedCallbacks {
    void OnChunkData(std::string_view bytes) override { out->body.append(bytes); }
    void OnChunkEnd(uint64_t size) override { out->chunk_sizes.push_back(size); }
    void OnTrailerLine(std::string_view line) override {
      lmc::http::FieldLine field;
      lmc::http::SplitFieldLine(line, field);  // already checked by the decoder
      std::string name(field.name);
      absl::AsciiStrToLower(&name);
      out->trailers.emplace_back(std::move(name), std::string(field.value));
    }
    RawHttpResponse* out = nullptr;
  } sink;
  sink.out = &response;
  lmc::http::ChunkedDecoder decoder;
  decoder.Reset(&sink);
  for (;;) {
    const size_t used = decoder.Feed(buf_);
    buf_.erase(0, used);
    if (decoder.complete()) return response;
    if (decoder.failed()) {
      return absl::DataLossError(
          absl::StrCat("bad chunked body: ", AsAbsl(decoder.error_message())));
    }
    absl::Status s = Fill();
    if (!s.ok()) {
      if (absl::IsUnavailable(s)) return absl::DataLossError("closed inside the chunked body");
      return s;
    }
  }
}

std::string BuildRequest(std::string_view method, std::string_view path, std::string_view body,
                         const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string out;
  out.reserve(128 + body.size());
  out.append(method).append(" ").append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  for (const auto& [name, value] : headers) {
    out.append(name).append(": ").append(value).append("\r\n");
  }
  if (!body.empty() || method == "POST") {
    out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  out.append("\r\n").append(body);
  return out;
}

absl::StatusOr<RawHttpResponse> RawHttpClient::Get(
    std::string_view path, const std::vector<std::pair<std::string, std::string>>& headers) {
  LMC_RETURN_IF_ERROR(Send(BuildRequest("GET", path, "", headers)));
  return ReadResponse();
}

absl::StatusOr<RawHttpResponse> RawHttpClient::Post(
    std::string_view path, std::string_view body,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  LMC_RETURN_IF_ERROR(Send(BuildRequest("POST", path, body, headers)));
  return ReadResponse();
}

absl::Status RawHttpClient::ExpectClosed() {
  if (!buf_.empty()) return absl::DataLossError("unread bytes before close");
  absl::Status s = Fill();
  if (absl::IsUnavailable(s) || absl::IsAborted(s)) return absl::OkStatus();
  if (s.ok()) return absl::DataLossError(absl::StrCat("unexpected bytes: ", buf_));
  return s;
}

bool RawHttpClient::NothingPending() {
  if (!buf_.empty()) return false;
  char c;
  const ssize_t n = recv(fd_, &c, 1, MSG_DONTWAIT | MSG_PEEK);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace lmc::emulator::internal
