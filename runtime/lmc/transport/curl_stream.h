// File: lmc/transport/curl_stream.h
//
// CurlStream: one streamed POST (chunked body, optional trailers) through libcurl, for
// runtime_api_client_curl.cc's BeginStreamedResponse() / WriteStreamChunk() /
// FinishStreamedResponse(). libcurl's easy interface pulls a request body through a read
// callback from inside curl_easy_perform(), while a streaming handler pushes bytes from its own
// call stack; so the transfer runs on a helper thread for the stream's duration, and each
// Write() hands its bytes to the read callback and waits until libcurl asks for more (it has
// then sent them: nothing is held back across writes). The owner waits in every call, so the
// handle is never used by two threads at once.
//
// Each stream runs on its own easy handle, a curl_easy_duphandle() of the loop's (same options
// and callbacks, fresh transfer state, its own connection), cleaned up when the stream ends:
// libcurl 7.88 keeps chunked-upload state across transfers of one handle, and a second streamed
// POST on the loop's handle wrote before its upload buffer (found by ASan).
//
// Example:
//
//   CURL* handle = curl_easy_duphandle(loop_handle);   // then URL, headers, POST options
//   absl::StatusOr<std::unique_ptr<CurlStream>> stream = CurlStream::Start(handle, headers);
//   if (!stream.ok()) return stream.status();
//   if (!(*stream)->Write("chunk")) { ... }           // the transfer ended; Finish() says how
//   long status = 0;
//   CURLcode rc = (*stream)->Finish("", "", &status);  // last chunk, no trailers
//
// This header and curl_stream.cc belong to the libcurl transport alone (lmc_transport_curl); no
// other header names a libcurl type.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "lmc/mutex.h"

namespace lmc {

// Frees a curl_slist on scope exit.
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// Appends "Name: value" to `list` (curl copies the string). "Name:" with an empty value removes
// a header libcurl would add by itself.
void AddHeader(Slist& list, std::string_view name, std::string_view value);

// CurlStream
//
// Owned by one thread (every member but the callbacks, which run on the helper thread); not
// copyable. Destroying a stream that was not finished ends its body and waits for the transfer.
class CurlStream {
 public:
  // Start()
  //
  // Takes `handle` (configured for the POST: URL, options, the reply's callbacks) and
  // `headers` (they must stay alive with it), points its read and trailer callbacks at the new
  // stream, and runs the transfer on a helper thread until libcurl asks for the first body
  // bytes: the head has then been sent. Unavailable (naming libcurl's error) when the transfer
  // ended instead.
  static absl::StatusOr<std::unique_ptr<CurlStream>> Start(CURL* handle, Slist headers);
  ~CurlStream();
  CurlStream(const CurlStream&) = delete;
  CurlStream& operator=(const CurlStream&) = delete;

  // Write()
  //
  // Sends `bytes` (not empty) as the body's next bytes and returns once libcurl has taken all
  // of them. false when the transfer ended first (Finish() then says how).
  bool Write(std::string_view bytes);

  // Finish()
  //
  // Ends the body: the last chunk, then, when `error_type` is not empty, the trailers
  // Lambda-Runtime-Function-Error-Type and -Error-Body (the caller has checked that both are
  // valid header values). Waits for the reply; returns how the transfer ended and, when it
  // completed, the reply's status in `status`. Call once.
  CURLcode Finish(std::string_view error_type, std::string_view error_body, long* status);

 private:
  CurlStream(CURL* handle, Slist headers);

  static size_t OnRead(char* buffer, size_t size, size_t count, void* self);
  static int OnTrailers(curl_slist** list, void* self);
  // Waits until the read callback wants more data (everything offered was sent) or the
  // transfer ended; false when it ended.
  bool AwaitDrained();
  // Ends the body, joins the helper thread and cleans up the handle; the transfer's result.
  CURLcode End(long* status);

  CURL* const handle_;  // owned; curl_easy_cleanup() in End()
  const Slist headers_;
  // Set before End() wakes the read callback; read by OnTrailers on the helper thread.
  std::string error_type_;
  std::string error_body_;
  Mutex mu_;
  std::string_view pending_ ABSL_GUARDED_BY(mu_);  // offered by the owner, taken by OnRead
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;    // no more data: the body ends
  bool wants_data_ ABSL_GUARDED_BY(mu_) = false;   // the read callback is waiting for bytes
  bool done_ ABSL_GUARDED_BY(mu_) = false;         // curl_easy_perform() returned
  CURLcode rc_ ABSL_GUARDED_BY(mu_) = CURLE_OK;
  bool ended_ = false;  // End() ran
  std::thread thread_;
};

}  // namespace lmc
