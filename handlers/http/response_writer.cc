#include "handlers/http/response_writer.h"

#include "lmc/status_macros.h"

namespace lmc::http {

absl::Status HttpResponseWriter::MarkBegun(int status) {
  if (begun_) return absl::FailedPreconditionError("the response has already begun");
  begun_ = true;
  status_ = status;
  return absl::OkStatus();
}

absl::Status HttpResponseWriter::CheckBegun() const {
  if (!begun_) return absl::FailedPreconditionError("Write() before Begin()");
  return absl::OkStatus();
}

absl::Status BufferedResponseWriter::Begin(const HttpResponse& head) {
  LMC_RETURN_IF_ERROR(MarkBegun(head.status));
  response_ = head;
  Count(head.body.size());
  return absl::OkStatus();
}

absl::Status BufferedResponseWriter::Write(std::string_view bytes) {
  LMC_RETURN_IF_ERROR(CheckBegun());
  response_.body.append(bytes);
  Count(bytes.size());
  return absl::OkStatus();
}

absl::Status StreamedResponseWriter::Begin(const HttpResponse& head) {
  LMC_RETURN_IF_ERROR(MarkBegun(head.status));
  LMC_RETURN_IF_ERROR(BeginHttpStream(stream_, StreamPrelude(head)));
  if (head.body.empty()) return absl::OkStatus();
  Count(head.body.size());
  return stream_.Write(head.body);
}

absl::Status StreamedResponseWriter::Write(std::string_view bytes) {
  LMC_RETURN_IF_ERROR(CheckBegun());
  Count(bytes.size());
  return stream_.Write(bytes);
}

}  // namespace lmc::http
