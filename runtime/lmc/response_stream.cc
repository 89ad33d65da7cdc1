#include "lmc/response_stream.h"

#include <string>

#include "lmc/json.h"

namespace lmc {

absl::Status BeginHttpStream(ResponseStream& stream, const HttpStreamPrelude& prelude) {
  if (stream.bytes_written() != 0) {
    return absl::FailedPreconditionError(
        "BeginHttpStream() must come before any other write to the stream");
  }
  if (absl::Status status = stream.SetContentType(kHttpIntegrationContentType); !status.ok()) {
    return status;
  }
  std::string out;
  JsonWriter json(&out);
  json.BeginObject().Key("statusCode").Int(prelude.status_code);
  json.Key("headers").BeginObject();
  for (const auto& [name, value] : prelude.headers) json.Key(name).String(value);
  json.EndObject();
  if (!prelude.cookies.empty()) {
    json.Key("cookies").BeginArray();
    for (const std::string& cookie : prelude.cookies) json.String(cookie);
    json.EndArray();
  }
  json.EndObject();
  // The prelude ends with 8 NUL bytes; the body follows.
  out.append(8, '\0');
  return stream.Write(out);
}

}  // namespace lmc
