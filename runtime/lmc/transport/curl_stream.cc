#include "lmc/transport/curl_stream.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lmc/strings.h"
#include "lmc/transport/api_request.h"

namespace lmc {

void AddHeader(Slist& list, std::string_view name, std::string_view value) {
  const std::string line = absl::StrCat(AsAbsl(name), ": ", AsAbsl(value));
  curl_slist* grown = curl_slist_append(list.get(), line.c_str());
  if (grown != nullptr) {
    (void)list.release();
    list.reset(grown);
  }
}

absl::StatusOr<std::unique_ptr<CurlStream>> CurlStream::Start(CURL* handle, Slist headers) {
  std::unique_ptr<CurlStream> stream(new CurlStream(handle, std::move(headers)));
  if (!stream->AwaitDrained()) {
    const CURLcode rc = stream->End(nullptr);
    return absl::UnavailableError(curl_easy_strerror(rc));
  }
  return stream;
}

CurlStream::CurlStream(CURL* handle, Slist headers)
    : handle_(handle), headers_(std::move(headers)) {
  curl_easy_setopt(handle_, CURLOPT_HTTPHEADER, headers_.get());
  curl_easy_setopt(handle_, CURLOPT_READFUNCTION, &CurlStream::OnRead);
  curl_easy_setopt(handle_, CURLOPT_READDATA, this);
  curl_easy_setopt(handle_, CURLOPT_TRAILERFUNCTION, &CurlStream::OnTrailers);
  curl_easy_setopt(handle_, CURLOPT_TRAILERDATA, this);
  thread_ = std::thread([this] {
    const CURLcode rc = curl_easy_perform(handle_);
    MutexLock lock(&mu_);
    rc_ = rc;
    done_ = true;
  });
}

CurlStream::~CurlStream() {
  if (!ended_) End(nullptr);
}

size_t CurlStream::OnRead(char* buffer, size_t size, size_t count, void* self) {
  CurlStream& st = *static_cast<CurlStream*>(self);
  MutexLock lock(&st.mu_);
  st.wants_data_ = true;
  st.mu_.Await(
      [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return !st.pending_.empty() || st.finishing_; });
  st.wants_data_ = false;
  const size_t n = std::min(size * count, st.pending_.size());
  std::memcpy(buffer, st.pending_.data(), n);
  st.pending_.remove_prefix(n);
  return n;  // 0 once finishing: the last chunk (and trailers) follow
}

int CurlStream::OnTrailers(curl_slist** list, void* self) {
  const CurlStream& st = *static_cast<CurlStream*>(self);
  if (st.error_type_.empty()) return CURL_TRAILERFUNC_OK;
  for (const auto& line : {absl::StrCat(AsAbsl(kStreamErrorTypeTrailer), ": ", st.error_type_),
                           absl::StrCat(AsAbsl(kStreamErrorBodyTrailer), ": ", st.error_body_)}) {
    curl_slist* grown = curl_slist_append(*list, line.c_str());
    if (grown == nullptr) return CURL_TRAILERFUNC_ABORT;
    *list = grown;
  }
  return CURL_TRAILERFUNC_OK;
}

bool CurlStream::AwaitDrained() {
  MutexLock lock(&mu_);
  mu_.Await(
      [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return done_ || (pending_.empty() && wants_data_); });
  return !done_;
}

bool CurlStream::Write(std::string_view bytes) {
  {
    MutexLock lock(&mu_);
    pending_ = bytes;
  }
  return AwaitDrained();
}

CURLcode CurlStream::Finish(std::string_view error_type, std::string_view error_body,
                            long* status) {
  error_type_.assign(error_type);
  error_body_.assign(error_body);
  return End(status);
}

CURLcode CurlStream::End(long* status) {
  ended_ = true;
  {
    MutexLock lock(&mu_);
    finishing_ = true;
  }
  if (thread_.joinable()) thread_.join();
  CURLcode rc;
  {
    MutexLock lock(&mu_);
    rc = rc_;
  }
  if (status != nullptr) curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, status);
  curl_easy_cleanup(handle_);  // closes its connection (through the close-socket callback)
  return rc;
}

}  // namespace lmc
