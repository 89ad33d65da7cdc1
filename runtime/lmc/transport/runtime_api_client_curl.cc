// The libcurl implementation of lmc/transport/runtime_api_client.h: one easy handle per
// client, kept alive between requests; streamed responses run through CurlStream
// (curl_stream.h). The reference for every behaviour runtime_api_client_direct.cc matches.
#include <curl/curl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lmc/strings.h"
#include "lmc/transport/api_request.h"
#include "lmc/transport/curl_stream.h"
#include "lmc/transport/next_invocation.h"
#include "lmc/transport/runtime_api_client.h"
#include "lmc/transport/runtime_api_client_common.h"

namespace lmc {
namespace {

// libcurl's error for a failed transfer, with its error buffer's detail when it has one.
std::string CurlError(CURLcode rc, const char* error_buffer) {
  return absl::StrCat(curl_easy_strerror(rc), error_buffer[0] != '\0'
                                                  ? absl::StrCat(" (", error_buffer, ")")
                                                  : std::string());
}

}  // namespace

absl::Status InitializeTransport() {
  // Function-local static: initialised exactly once, before any caller proceeds.
  static const CURLcode kInit = curl_global_init(CURL_GLOBAL_NOTHING);
  if (kInit != CURLE_OK) {
    return absl::InternalError(
        absl::StrCat("curl_global_init failed: ", curl_easy_strerror(kInit)));
  }
  return absl::OkStatus();
}

struct RuntimeApiClient::Impl {
  Impl(const LogSink& log_sink, RuntimeApiClientOptions opts) : sink(log_sink), options(opts) {}

  ~Impl() {
    stream.reset();  // ends an unfinished stream first: its handle calls back into this Impl
    if (curl != nullptr) curl_easy_cleanup(curl);
  }

  // What the current transfer's callbacks write into.
  enum class Target { kNext, kReply };

  const LogSink& sink;
  const RuntimeApiClientOptions options;
  CURL* curl = nullptr;
  std::string origin;  // http://host:port
  std::string url;     // Reused for every request.
  char error_buffer[CURL_ERROR_SIZE] = {};

  // Per-transfer state, touched only by the owning thread (and curl callbacks on it).
  Target target = Target::kReply;
  NextInvocation* next = nullptr;
  bool event_too_large = false;
  ApiReply reply;

  // Abort() state: shared with whatever thread calls Abort().
  Mutex mu;
  bool abort_next ABSL_GUARDED_BY(mu) = false;
  bool in_next ABSL_GUARDED_BY(mu) = false;
  // Some of the long poll's reply has arrived: Abort() lets it complete (see Abort()).
  bool reply_started ABSL_GUARDED_BY(mu) = false;
  // Owner-thread copy of "reply_started was set for this transfer", so that only the first header
  // line of a long poll's reply takes the lock.
  bool reply_started_noted = false;

  void NoteReplyStarted() {
    if (reply_started_noted) return;
    reply_started_noted = true;
    MutexLock lock(&mu);
    reply_started = true;
  }

  // Called under `mu` at the start of a long poll.
  void BeginLongPoll() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    in_next = true;
    reply_started = false;
    reply_started_noted = false;
  }
  // The streamed response in progress, if any (BeginStreamedResponse()).
  std::unique_ptr<CurlStream> stream;

  // Sockets libcurl currently has open for this handle (at most a couple: MAXCONNECTS is 1).
  std::vector<int> sockets ABSL_GUARDED_BY(mu);

  static size_t OnHeader(char* data, size_t size, size_t count, void* self_ptr) {
    auto* self = static_cast<Impl*>(self_ptr);
    const size_t bytes = size * count;
    const std::string_view line(data, bytes);
    self->NoteReplyStarted();
    if (self->target == Target::kNext) {
      self->next->ApplyHeaderLine(line);
      if (self->next->content_length.has_value() &&
          *self->next->content_length <= self->options.max_event_bytes) {
        self->next->body.Reserve(static_cast<size_t>(*self->next->content_length));
      }
    } else {
      ApplyReplyHeaderLine(line, self->reply);
    }
    return bytes;
  }

  static size_t OnBody(char* data, size_t size, size_t count, void* self_ptr) {
    auto* self = static_cast<Impl*>(self_ptr);
    const size_t bytes = size * count;
    if (self->target == Target::kNext) {
      if (self->next->body.size() + bytes > self->options.max_event_bytes) {
        self->event_too_large = true;
        return 0;  // Makes curl fail the transfer with CURLE_WRITE_ERROR.
      }
      self->next->body.Append(data, bytes);
    } else {
      AppendReplyBody(std::string_view(data, bytes), self->reply);
    }
    return bytes;
  }

  static curl_socket_t OnOpenSocket(void* self_ptr, curlsocktype /*purpose*/,
                                    curl_sockaddr* address) {
    auto* self = static_cast<Impl*>(self_ptr);
    MutexLock lock(&self->mu);
    if (self->in_next && self->abort_next) return CURL_SOCKET_BAD;
    const int fd = ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
    if (fd >= 0) self->sockets.push_back(fd);
    return fd >= 0 ? fd : CURL_SOCKET_BAD;
  }

  static int OnCloseSocket(void* self_ptr, curl_socket_t fd) {
    auto* self = static_cast<Impl*>(self_ptr);
    MutexLock lock(&self->mu);
    // Forget the fd before closing it, under the lock: Abort() must never shutdown() a number
    // the kernel may already have handed to someone else.
    std::erase(self->sockets, fd);
    return ::close(fd);
  }

  absl::Status Setup(std::string_view endpoint) {
    curl = curl_easy_init();
    if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
    origin = absl::StrCat("http://", AsAbsl(endpoint));
    const std::string user_agent(kRuntimeApiUserAgent);
    bool ok = true;
    const auto set = [&](CURLoption option, auto value) {
      ok = ok && curl_easy_setopt(curl, option, value) == CURLE_OK;
    };
    set(CURLOPT_ERRORBUFFER, error_buffer);
    set(CURLOPT_NOSIGNAL, 1L);
    set(CURLOPT_TCP_NODELAY, 1L);
    set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    set(CURLOPT_PROXY, "");
    set(CURLOPT_NOPROXY, "*");
    set(CURLOPT_PROTOCOLS_STR, "http");
    set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
    set(CURLOPT_MAXCONNECTS, 1L);
    set(CURLOPT_USERAGENT, user_agent.c_str());
    set(CURLOPT_HEADERFUNCTION, &Impl::OnHeader);
    set(CURLOPT_HEADERDATA, this);
    set(CURLOPT_WRITEFUNCTION, &Impl::OnBody);
    set(CURLOPT_WRITEDATA, this);
    set(CURLOPT_OPENSOCKETFUNCTION, &Impl::OnOpenSocket);
    set(CURLOPT_OPENSOCKETDATA, this);
    set(CURLOPT_CLOSESOCKETFUNCTION, &Impl::OnCloseSocket);
    set(CURLOPT_CLOSESOCKETDATA, this);
    if (!ok) return absl::InternalError("configuring libcurl failed");
    return absl::OkStatus();
  }

  // The path of `url` (after the origin), for log lines.
  std::string_view Path() const {
    const std::string_view whole = url;
    return whole.substr(origin.size());
  }

  // Points `url` at the request's target and returns its headers. A POST without a
  // Content-Type gets "Content-Type:" with no value, which removes the form-urlencoded type
  // libcurl gives every POST.
  Slist Prepare(const ApiRequest& request) {
    url.assign(origin);
    request.AppendTarget(url);
    Slist headers;
    bool has_content_type = false;
    for (const ApiHeader& header : request.headers()) {
      AddHeader(headers, header.name, header.value);
      has_content_type = has_content_type || header.name == "Content-Type";
    }
    if (request.method() == "POST" && !has_content_type) AddHeader(headers, "Content-Type", "");
    return headers;
  }

  // A POST whose body is sent from `body` without a copy.
  absl::StatusOr<ApiReply> Post(std::string_view body, Slist headers,
                                std::chrono::milliseconds timeout) {
    target = Target::kReply;
    reply = ApiReply();
    AddHeader(headers, "Expect", "");  // "Expect:" with no value removes curl's default.
    // POSTFIELDS takes a pointer; the caller's bytes are sent in place (no copy).
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    error_buffer[0] = '\0';
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    const CURLcode rc = curl_easy_perform(curl);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
    if (rc != CURLE_OK) {
      return absl::UnavailableError(
          absl::StrCat("POST ", url, " failed: ", CurlError(rc, error_buffer)));
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    reply.status = static_cast<int>(status);
    LogNon2xx(sink, "POST", Path(), reply.status, reply.body);
    return std::move(reply);
  }

  // A long-polling GET whose reply is returned as an ApiReply (extension event/next). Like
  // Next(), it waits without a timeout and is cancelled by Abort().
  absl::StatusOr<ApiReply> LongPollGet(Slist headers) {
    {
      MutexLock lock(&mu);
      if (abort_next) return ShuttingDownError();
      BeginLongPoll();
    }
    target = Target::kReply;
    reply = ApiReply();
    error_buffer[0] = '\0';
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 0L);
    const CURLcode rc = curl_easy_perform(curl);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
    bool aborted = false;
    {
      MutexLock lock(&mu);
      in_next = false;
      aborted = abort_next;
    }
    if (rc != CURLE_OK) {
      if (aborted) return ShuttingDownError();
      return absl::UnavailableError(absl::StrCat("GET ", url, " failed: ", curl_easy_strerror(rc)));
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    reply.status = static_cast<int>(status);
    LogNon2xx(sink, "GET", Path(), reply.status, reply.body);
    return std::move(reply);
  }
};

RuntimeApiClient::RuntimeApiClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RuntimeApiClient::~RuntimeApiClient() = default;

absl::StatusOr<std::unique_ptr<RuntimeApiClient>> RuntimeApiClient::Create(
    std::string_view endpoint, const LogSink& sink, RuntimeApiClientOptions options) {
  auto impl = std::make_unique<Impl>(sink, options);
  if (absl::Status status = impl->Setup(endpoint); !status.ok()) return status;
  return std::unique_ptr<RuntimeApiClient>(new RuntimeApiClient(std::move(impl)));
}

absl::StatusOr<ApiReply> RuntimeApiClient::Send(const absl::StatusOr<ApiRequest>& request) {
  if (!request.ok()) return request.status();
  Impl& s = *impl_;
  Slist headers = s.Prepare(*request);
  if (request->long_poll()) return s.LongPollGet(std::move(headers));
  return s.Post(request->body(), std::move(headers), request->timeout());
}

absl::Status RuntimeApiClient::Next(NextInvocation& out) {
  Impl& s = *impl_;
  {
    MutexLock lock(&s.mu);
    if (s.abort_next) return ShuttingDownError();
    s.BeginLongPoll();
  }
  out.Reset();
  s.target = Impl::Target::kNext;
  s.next = &out;
  s.event_too_large = false;
  s.url.assign(s.origin).append(kNextTarget);
  s.error_buffer[0] = '\0';
  curl_easy_setopt(s.curl, CURLOPT_URL, s.url.c_str());
  curl_easy_setopt(s.curl, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(s.curl, CURLOPT_HTTPHEADER, nullptr);
  // No timeout: /next long-polls until an event arrives, however long that is.
  curl_easy_setopt(s.curl, CURLOPT_TIMEOUT_MS, 0L);
  const CURLcode rc = curl_easy_perform(s.curl);
  s.next = nullptr;
  bool aborted = false;
  {
    MutexLock lock(&s.mu);
    s.in_next = false;
    aborted = s.abort_next;
  }
  if (rc != CURLE_OK) {
    if (aborted) return ShuttingDownError();
    if (s.event_too_large) return EventTooLargeError(s.options.max_event_bytes);
    return NextFailedError(CurlError(rc, s.error_buffer));
  }
  long status = 0;
  curl_easy_getinfo(s.curl, CURLINFO_RESPONSE_CODE, &status);
  out.http_status = static_cast<int>(status);
  LogNon2xx(s.sink, "GET", kNextTarget, out.http_status, out.body.view());
  return absl::OkStatus();
}

absl::Status RuntimeApiClient::BeginStreamedResponse(std::string_view request_id,
                                                     std::string_view invocation_id,
                                                     std::string_view content_type) {
  Impl& s = *impl_;
  s.stream.reset();  // an unfinished stream: abandon it
  const absl::StatusOr<ApiRequest> request =
      ApiRequest::StreamedResponse(request_id, invocation_id, content_type);
  if (!request.ok()) return request.status();
  Slist headers = s.Prepare(*request);
  AddHeader(headers, "Transfer-Encoding", "chunked");
  AddHeader(headers, "Expect", "");  // no 100-continue round trip
  CURL* handle = curl_easy_duphandle(s.curl);
  if (handle == nullptr) return absl::InternalError("curl_easy_duphandle failed");
  s.target = Impl::Target::kReply;
  s.reply = ApiReply();
  s.error_buffer[0] = '\0';
  curl_easy_setopt(handle, CURLOPT_URL, s.url.c_str());
  curl_easy_setopt(handle, CURLOPT_POST, 1L);
  curl_easy_setopt(handle, CURLOPT_POSTFIELDS, nullptr);
  curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(-1));
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, 0L);
  absl::StatusOr<std::unique_ptr<CurlStream>> started =
      CurlStream::Start(handle, std::move(headers));
  if (!started.ok()) {
    return absl::UnavailableError(
        absl::StrCat("POST ", s.url, " (streamed) failed: ", started.status().message()));
  }
  s.stream = *std::move(started);
  return absl::OkStatus();
}

absl::Status RuntimeApiClient::WriteStreamChunk(std::string_view bytes) {
  Impl& s = *impl_;
  if (s.stream == nullptr) return absl::FailedPreconditionError("no streamed response open");
  if (bytes.empty()) return absl::OkStatus();
  if (!s.stream->Write(bytes)) {
    const CURLcode rc = s.stream->Finish({}, {}, nullptr);
    s.stream.reset();
    return absl::UnavailableError(
        absl::StrCat("streaming to ", s.url, " failed: ", curl_easy_strerror(rc)));
  }
  return absl::OkStatus();
}

absl::StatusOr<ApiReply> RuntimeApiClient::FinishStreamedResponse(
    std::string_view error_type, std::string_view error_body_base64) {
  Impl& s = *impl_;
  if (s.stream == nullptr) return absl::FailedPreconditionError("no streamed response open");
  const bool sendable = IsValidHeaderValue(error_type) && IsValidHeaderValue(error_body_base64);
  if (!sendable) LogUnsendableTrailers(s.sink);
  long status = 0;
  const CURLcode rc = sendable ? s.stream->Finish(error_type, error_body_base64, &status)
                               : s.stream->Finish({}, {}, &status);
  s.stream.reset();
  if (rc != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat("POST ", s.url, " (streamed) failed: ", CurlError(rc, s.error_buffer)));
  }
  s.reply.status = static_cast<int>(status);
  LogNon2xx(s.sink, "POST", s.Path(), s.reply.status, s.reply.body);
  return std::move(s.reply);
}

void RuntimeApiClient::Abort() {
  Impl& s = *impl_;
  MutexLock lock(&s.mu);
  s.abort_next = true;
  if (!s.in_next || s.reply_started) return;
  for (int fd : s.sockets) {
    // A reply queued on the socket is an event the server has handed over: let libcurl receive
    // it, so it is served rather than lost (Lambda would only time it out).
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0) continue;
    // Wakes libcurl's poll() on the socket at once; the transfer fails and Next() sees the flag.
    ::shutdown(fd, SHUT_RDWR);
  }
}

}  // namespace lmc
