#include <curl/curl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lmc/strings.h"
#include "lmc/transport/api_request.h"
#include "lmc/transport/next_invocation.h"
#include "lmc/transport/runtime_api_client.h"

namespace lmc {
namespace {

constexpr size_t kMaxReplyBodyBytes = size_t{64} * 1024;
constexpr size_t kMaxLoggedBodyBytes = 1024;
constexpr std::string_view kUserAgent = "lmc/0.1";

// Frees a curl_slist on scope exit.
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// Appends "Name: value" to `list`. curl copies the string.
void AddHeader(Slist& list, std::string_view name, std::string_view value) {
  std::string line = absl::StrCat(AsAbsl(name), ": ", AsAbsl(value));
  curl_slist* grown = curl_slist_append(list.get(), line.c_str());
  if (grown != nullptr) {
    (void)list.release();
    list.reset(grown);
  }
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
    if (stream != nullptr) EndStream();
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
  // A streamed response in progress. libcurl's easy interface pulls a request body through a
  // read callback from inside curl_easy_perform(), while a streaming handler pushes bytes from
  // its own call stack; so the transfer runs on a helper thread for the stream's duration, and
  // each WriteStreamChunk() hands its bytes to the read callback and waits until libcurl asks
  // for more (it has then sent them: nothing is held back across writes). The owner thread waits
  // in every call, so a handle is never used by two threads at once.
  //
  // Each stream runs on its own easy handle, a curl_easy_duphandle() of the loop's (same options
  // and callbacks, fresh transfer state, its own connection), cleaned up when the stream ends:
  // libcurl 7.88 keeps chunked-upload state across transfers of one handle, and a second
  // streamed POST on the loop's handle wrote before its upload buffer (found by ASan).
  struct Stream {
    CURL* handle = nullptr;  // owned; curl_easy_cleanup() in EndStream()
    Mutex mu;
    std::string_view pending ABSL_GUARDED_BY(mu);  // offered by the owner, taken by OnStreamRead
    bool finishing ABSL_GUARDED_BY(mu) = false;    // no more data: the body ends
    bool wants_data ABSL_GUARDED_BY(mu) = false;   // the read callback is waiting for bytes
    bool done ABSL_GUARDED_BY(mu) = false;         // curl_easy_perform() returned
    CURLcode rc ABSL_GUARDED_BY(mu) = CURLE_OK;
    // Set before Finish wakes the read callback; read by OnTrailers on the helper thread.
    std::string error_type;
    std::string error_body;
    Slist headers;
    std::thread thread;
  };
  std::unique_ptr<Stream> stream;

  static size_t OnStreamRead(char* buffer, size_t size, size_t count, void* self_ptr) {
    Stream& st = *static_cast<Impl*>(self_ptr)->stream;
    MutexLock lock(&st.mu);
    st.wants_data = true;
    st.mu.Await([&]()
                    ABSL_NO_THREAD_SAFETY_ANALYSIS { return !st.pending.empty() || st.finishing; });
    st.wants_data = false;
    const size_t n = std::min(size * count, st.pending.size());
    std::memcpy(buffer, st.pending.data(), n);
    st.pending.remove_prefix(n);
    return n;  // 0 once finishing: the last chunk (and trailers) follow
  }

  static int OnTrailers(curl_slist** list, void* self_ptr) {
    Stream& st = *static_cast<Impl*>(self_ptr)->stream;
    if (st.error_type.empty()) return CURL_TRAILERFUNC_OK;
    for (const auto& line : {absl::StrCat(AsAbsl(kStreamErrorTypeTrailer), ": ", st.error_type),
                             absl::StrCat(AsAbsl(kStreamErrorBodyTrailer), ": ", st.error_body)}) {
      curl_slist* grown = curl_slist_append(*list, line.c_str());
      if (grown == nullptr) return CURL_TRAILERFUNC_ABORT;
      *list = grown;
    }
    return CURL_TRAILERFUNC_OK;
  }

  // Waits until the read callback wants more data (everything offered was sent) or the
  // transfer ended. Returns false when it ended.
  bool AwaitStreamDrained() {
    Stream& st = *stream;
    MutexLock lock(&st.mu);
    st.mu.Await([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      return st.done || (st.pending.empty() && st.wants_data);
    });
    return !st.done;
  }

  // Joins the helper thread and forgets the stream; returns how the transfer ended and, when it
  // completed, the reply's status in `status`.
  CURLcode EndStream(long* status = nullptr) {
    Stream& st = *stream;
    {
      MutexLock lock(&st.mu);
      st.finishing = true;
    }
    if (st.thread.joinable()) st.thread.join();
    CURLcode rc;
    {
      MutexLock lock(&st.mu);
      rc = st.rc;
    }
    if (status != nullptr) curl_easy_getinfo(st.handle, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(st.handle);  // closes its connection (through OnCloseSocket)
    stream.reset();
    return rc;
  }

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
      const size_t colon = line.find(':');
      if (colon != std::string_view::npos &&
          EqualsIgnoreCase(line.substr(0, colon), "lambda-extension-identifier")) {
        self->reply.extension_id.assign(StripAsciiWhitespace(line.substr(colon + 1)));
      }
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
      const size_t room =
          kMaxReplyBodyBytes - std::min(kMaxReplyBodyBytes, self->reply.body.size());
      self->reply.body.append(data, std::min(room, bytes));
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
    const std::string user_agent(kUserAgent);
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

  void LogNon2xx(std::string_view method, int status, std::string_view body) {
    if (status >= 200 && status < 300) return;
    if (body.size() > kMaxLoggedBodyBytes) body = body.substr(0, kMaxLoggedBodyBytes);
    sink.Write(LogLevel::kWarn, {},
               absl::StrCat("Runtime API replied ", status, " to ", AsAbsl(method), " ",
                            url.substr(url.find('/', 7)), ": ", AsAbsl(body)));
  }

  // Every call but Next(): what to send comes from ApiRequest (or its refusal).
  absl::StatusOr<ApiReply> Send(const absl::StatusOr<ApiRequest>& request) {
    if (!request.ok()) return request.status();
    url.assign(origin);
    request->AppendTarget(url);
    Slist headers;
    bool has_content_type = false;
    for (const ApiHeader& header : request->headers()) {
      AddHeader(headers, header.name, header.value);
      has_content_type = has_content_type || header.name == "Content-Type";
    }
    if (request->long_poll()) return LongPollGet(std::move(headers));
    // "Content-Type:" with no value removes the form-urlencoded type curl gives every POST.
    if (!has_content_type) AddHeader(headers, "Content-Type", "");
    return Post(request->body(), std::move(headers), request->timeout());
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
      return absl::UnavailableError(absl::StrCat(
          "POST ", url, " failed: ", curl_easy_strerror(rc),
          error_buffer[0] != '\0' ? absl::StrCat(" (", error_buffer, ")") : std::string()));
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    reply.status = static_cast<int>(status);
    LogNon2xx("POST", reply.status, reply.body);
    return std::move(reply);
  }

  // A long-polling GET whose reply is returned as an ApiReply (extension event/next). Like
  // Next(), it waits without a timeout and is cancelled by Abort().
  absl::StatusOr<ApiReply> LongPollGet(Slist headers) {
    {
      MutexLock lock(&mu);
      if (abort_next) return absl::CancelledError("the runtime is shutting down");
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
      if (aborted) return absl::CancelledError("the runtime is shutting down");
      return absl::UnavailableError(absl::StrCat("GET ", url, " failed: ", curl_easy_strerror(rc)));
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    reply.status = static_cast<int>(status);
    LogNon2xx("GET", reply.status, reply.body);
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

absl::Status RuntimeApiClient::Next(NextInvocation& out) {
  Impl& s = *impl_;
  {
    MutexLock lock(&s.mu);
    if (s.abort_next) return absl::CancelledError("the runtime is shutting down");
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
    if (aborted) return absl::CancelledError("the runtime is shutting down");
    if (s.event_too_large) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the event is larger than ", s.options.max_event_bytes, " bytes"));
    }
    return absl::UnavailableError(absl::StrCat(
        "GET /runtime/invocation/next failed: ", curl_easy_strerror(rc),
        s.error_buffer[0] != '\0' ? absl::StrCat(" (", s.error_buffer, ")") : std::string()));
  }
  long status = 0;
  curl_easy_getinfo(s.curl, CURLINFO_RESPONSE_CODE, &status);
  out.http_status = static_cast<int>(status);
  if (out.http_status != 200) s.LogNon2xx("GET", out.http_status, out.body.view());
  return absl::OkStatus();
}

absl::StatusOr<ApiReply> RuntimeApiClient::PostResponse(std::string_view request_id,
                                                        std::string_view invocation_id,
                                                        std::string_view content_type,
                                                        std::string_view body,
                                                        std::chrono::milliseconds timeout) {
  return impl_->Send(ApiRequest::Response(request_id, invocation_id, content_type, body, timeout));
}

absl::StatusOr<ApiReply> RuntimeApiClient::PostError(std::string_view request_id,
                                                     std::string_view invocation_id,
                                                     std::string_view error_type,
                                                     std::string_view error_json,
                                                     std::chrono::milliseconds timeout) {
  return impl_->Send(ApiRequest::Error(request_id, invocation_id, error_type, error_json, timeout));
}

absl::StatusOr<ApiReply> RuntimeApiClient::PostInitError(std::string_view error_type,
                                                         std::string_view error_json) {
  return impl_->Send(ApiRequest::InitError(error_type, error_json));
}

absl::StatusOr<ApiReply> RuntimeApiClient::RegisterExtension(std::string_view name,
                                                             std::string_view events_json) {
  return impl_->Send(ApiRequest::RegisterExtension(name, events_json));
}

absl::StatusOr<ApiReply> RuntimeApiClient::NextExtensionEvent(std::string_view identifier) {
  return impl_->Send(ApiRequest::NextExtensionEvent(identifier));
}

absl::Status RuntimeApiClient::BeginStreamedResponse(std::string_view request_id,
                                                     std::string_view invocation_id,
                                                     std::string_view content_type) {
  Impl& s = *impl_;
  if (s.stream != nullptr) s.EndStream();  // an unfinished stream: abandon it
  const absl::StatusOr<ApiRequest> request =
      ApiRequest::StreamedResponse(request_id, invocation_id, content_type);
  if (!request.ok()) return request.status();
  s.url.assign(s.origin);
  request->AppendTarget(s.url);
  CURL* handle = curl_easy_duphandle(s.curl);
  if (handle == nullptr) return absl::InternalError("curl_easy_duphandle failed");
  s.stream = std::make_unique<Impl::Stream>();
  Impl::Stream& st = *s.stream;
  st.handle = handle;
  bool has_content_type = false;
  for (const ApiHeader& header : request->headers()) {
    AddHeader(st.headers, header.name, header.value);
    has_content_type = has_content_type || header.name == "Content-Type";
  }
  if (!has_content_type) AddHeader(st.headers, "Content-Type", "");
  AddHeader(st.headers, "Transfer-Encoding", "chunked");
  AddHeader(st.headers, "Expect", "");  // no 100-continue round trip
  s.target = Impl::Target::kReply;
  s.reply = ApiReply();
  s.error_buffer[0] = '\0';
  curl_easy_setopt(handle, CURLOPT_URL, s.url.c_str());
  curl_easy_setopt(handle, CURLOPT_POST, 1L);
  curl_easy_setopt(handle, CURLOPT_POSTFIELDS, nullptr);
  curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(-1));
  curl_easy_setopt(handle, CURLOPT_READFUNCTION, &Impl::OnStreamRead);
  curl_easy_setopt(handle, CURLOPT_READDATA, &s);
  curl_easy_setopt(handle, CURLOPT_TRAILERFUNCTION, &Impl::OnTrailers);
  curl_easy_setopt(handle, CURLOPT_TRAILERDATA, &s);
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, st.headers.get());
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, 0L);
  st.thread = std::thread([&s, handle] {
    const CURLcode rc = curl_easy_perform(handle);
    Impl::Stream& stream = *s.stream;
    MutexLock lock(&stream.mu);
    stream.rc = rc;
    stream.done = true;
  });
  if (!s.AwaitStreamDrained()) {
    const CURLcode rc = s.EndStream();
    return absl::UnavailableError(
        absl::StrCat("POST ", s.url, " (streamed) failed: ", curl_easy_strerror(rc)));
  }
  return absl::OkStatus();
}

absl::Status RuntimeApiClient::WriteStreamChunk(std::string_view bytes) {
  Impl& s = *impl_;
  if (s.stream == nullptr) return absl::FailedPreconditionError("no streamed response open");
  if (bytes.empty()) return absl::OkStatus();
  {
    MutexLock lock(&s.stream->mu);
    s.stream->pending = bytes;
  }
  if (!s.AwaitStreamDrained()) {
    const CURLcode rc = s.EndStream();
    return absl::UnavailableError(
        absl::StrCat("streaming to ", s.url, " failed: ", curl_easy_strerror(rc)));
  }
  return absl::OkStatus();
}

absl::StatusOr<ApiReply> RuntimeApiClient::FinishStreamedResponse(
    std::string_view error_type, std::string_view error_body_base64) {
  Impl& s = *impl_;
  if (s.stream == nullptr) return absl::FailedPreconditionError("no streamed response open");
  if (!IsValidHeaderValue(error_type) || !IsValidHeaderValue(error_body_base64)) {
    s.sink.Write(LogLevel::kWarn, {},
                 "a streamed error's trailer value holds CR, LF or NUL; ending the stream "
                 "without trailers");
  } else {
    s.stream->error_type.assign(error_type);
    s.stream->error_body.assign(error_body_base64);
  }
  long status = 0;
  const CURLcode rc = s.EndStream(&status);
  if (rc != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat(
        "POST ", s.url, " (streamed) failed: ", curl_easy_strerror(rc),
        s.error_buffer[0] != '\0' ? absl::StrCat(" (", s.error_buffer, ")") : std::string()));
  }
  s.reply.status = static_cast<int>(status);
  s.LogNon2xx("POST", s.reply.status, s.reply.body);
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
