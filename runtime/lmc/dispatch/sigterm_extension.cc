#include "lmc/dispatch/sigterm_extension.h"

#include <pthread.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace lmc {

std::unique_ptr<SigtermExtension> SigtermExtension::Register(std::string_view runtime_api,
                                                             const LogSink& sink) {
  absl::StatusOr<std::unique_ptr<RuntimeApiClient>> client =
      RuntimeApiClient::Create(runtime_api, sink);
  if (!client.ok()) return nullptr;
  absl::StatusOr<ApiReply> reply = (*client)->RegisterExtension("lmc", R"({"events":[]})");
  if (!reply.ok() || reply->status != 200 || reply->extension_id.empty()) {
    sink.Write(
        LogLevel::kWarn, {},
        absl::StrCat("could not register the internal extension (",
                     reply.ok() ? absl::StrCat("HTTP ", reply->status) : reply.status().ToString(),
                     "); SIGTERM will not announce shutdown"));
    return nullptr;
  }
  return std::unique_ptr<SigtermExtension>(
      new SigtermExtension(std::move(*client), std::move(reply->extension_id)));
}

SigtermExtension::SigtermExtension(std::unique_ptr<RuntimeApiClient> client, std::string id)
    : client_(std::move(client)), id_(std::move(id)) {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "lmc-extension");
    // Parks in event/next until shutdown. Calling it once is what Lambda needs (init waits for
    // every extension's first call); whatever the answer, there is no reason to call again, and
    // not calling again rules out a busy loop on an API that answers at once.
    client_->NextExtensionEvent(id_).IgnoreError();
  });
}

SigtermExtension::~SigtermExtension() {
  client_->Abort();
  thread_.join();
}

}  // namespace lmc
