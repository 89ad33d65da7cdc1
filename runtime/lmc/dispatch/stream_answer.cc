#include "lmc/dispatch/stream_answer.h"

#include <cxxabi.h>

#include <cstdlib>
#include <exception>
#include <string>
#include <typeinfo>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "lmc/strings.h"
#include "lmc/transport/api_request.h"
#include "lmc/transport/next_invocation.h"

namespace lmc {
namespace {

constexpr std::string_view kTooLargeType = "Function.ResponseSizeTooLarge";

std::string ExceptionTypeName(const std::type_info& type) {
  int status = 0;
  char* name = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  std::string out = (status == 0 && name != nullptr) ? name : type.name();
  std::free(name);  // NOLINT: __cxa_demangle allocates with malloc.
  return out;
}

// The ResponseStream a handler writes into: starts the streamed POST at the first byte (so a
// failure before any byte can still go to /error), one chunk per Write().
class ClientStream final : public ResponseStream {
 public:
  ClientStream(LoopClient& client, const StreamTarget& target) : client_(client), target_(target) {}

  absl::Status SetContentType(std::string_view content_type) override {
    if (started_) {
      return absl::FailedPreconditionError("the content type is sent with the first byte");
    }
    if (!IsValidHeaderValue(content_type)) {
      return absl::InvalidArgumentError("the content type holds CR, LF or NUL, or is too long");
    }
    content_type_.assign(content_type);
    return absl::OkStatus();
  }

  absl::Status Write(std::string_view bytes) override {
    if (!broken_.ok()) return broken_;
    if (bytes.empty()) return absl::OkStatus();
    if (bytes.size() > kMaxStreamedResponseBytes - written_) {
      too_large_ = true;
      broken_ = absl::ResourceExhaustedError(
          absl::StrCat("a streamed response may carry at most ", kMaxStreamedResponseBytes,
                       " bytes (", written_, " sent, ", bytes.size(), " more refused)"));
      return broken_;
    }
    if (!started_) {
      started_ = true;
      absl::Status begun =
          client_.BeginStreamedResponse(target_.request_id, target_.invocation_id, content_type_);
      if (!begun.ok()) {
        broken_ = absl::UnavailableError(begun.message());
        connection_failed_ = true;
        return broken_;
      }
    }
    if (absl::Status sent = client_.WriteStreamChunk(bytes); !sent.ok()) {
      broken_ = absl::UnavailableError(sent.message());
      connection_failed_ = true;
      return broken_;
    }
    written_ += bytes.size();
    return absl::OkStatus();
  }

  uint64_t bytes_written() const override { return written_; }

  bool started() const { return started_; }
  bool too_large() const { return too_large_; }
  bool connection_failed() const { return connection_failed_; }
  const std::string& content_type() const { return content_type_; }

 private:
  LoopClient& client_;
  const StreamTarget& target_;
  std::string content_type_ = std::string(kDefaultStreamContentType);
  bool started_ = false;
  bool too_large_ = false;
  bool connection_failed_ = false;
  uint64_t written_ = 0;
  absl::Status broken_;
};

StreamResult CallStreamingHandler(const StreamingHandler& handler, const Event& event,
                                  const Context& context, ResponseStream& stream) {
  try {
    return handler(event, context, stream);
  } catch (const std::exception& e) {
    return Error(ExceptionTypeName(typeid(e)), e.what());
  } catch (...) {
    return Error("UnknownException", "the handler threw a value that is not a std::exception");
  }
}

}  // namespace

std::optional<Result> StreamAnswer(const StreamingHandler& handler, const Event& event,
                                   const Context& context, LoopClient& client,
                                   const StreamTarget& target, const LogSink& sink) {
  ClientStream stream(client, target);
  StreamResult result = CallStreamingHandler(handler, event, context, stream);
  if (stream.too_large()) {
    result = Error(std::string(kTooLargeType),
                   absl::StrCat("Response payload size exceeded the maximum allowed payload size (",
                                kMaxStreamedResponseBytes, " bytes)."));
  }
  if (!result.ok()) {
    sink.Write(LogLevel::kError, target.fields,
               absl::StrCat("invocation failed", stream.started() ? " mid-stream: " : ": ",
                            result.error().type(), ": ", result.error().message()));
    if (!stream.started()) return Result(result.error());
  }
  if (stream.connection_failed()) {
    sink.Write(LogLevel::kError, target.fields,
               "could not deliver the streamed response: the connection failed");
    return std::nullopt;
  }
  if (!stream.started()) {
    // Success without a byte: an empty stream (the content type still reaches the caller).
    if (absl::Status begun = client.BeginStreamedResponse(target.request_id, target.invocation_id,
                                                          stream.content_type());
        !begun.ok()) {
      sink.Write(LogLevel::kError, target.fields,
                 absl::StrCat("could not deliver the streamed response: ", begun.ToString()));
      return std::nullopt;
    }
  }
  std::string error_body;
  std::string_view error_type;
  if (!result.ok()) {
    error_type = HeaderErrorType(result.error().type());
    error_body = absl::Base64Escape(AsAbsl(result.error().ToJson()));
  }
  const absl::StatusOr<ApiReply> reply = client.FinishStreamedResponse(error_type, error_body);
  if (!reply.ok()) {
    sink.Write(
        LogLevel::kError, target.fields,
        absl::StrCat("could not deliver the streamed response: ", reply.status().ToString()));
  }
  // A non-2xx reply was logged by the transport; the invocation is over either way.
  return std::nullopt;
}

}  // namespace lmc
