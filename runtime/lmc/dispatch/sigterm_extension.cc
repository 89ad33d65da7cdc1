#include "lmc/dispatch/sigterm_extension.h"

#include <pthread.h>

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace lmc {

std::unique_ptr<SigtermExtension> SigtermExtension::Start(std::string_view runtime_api,
                                                          const LogSink& sink) {
  absl::StatusOr<std::unique_ptr<RuntimeApiClient>> client =
      RuntimeApiClient::Create(runtime_api, sink);
  if (!client.ok()) return nullptr;
  return std::unique_ptr<SigtermExtension>(new SigtermExtension(std::move(*client), sink));
}

SigtermExtension::SigtermExtension(std::unique_ptr<RuntimeApiClient> client, const LogSink& sink)
    : client_(std::move(client)) {
  thread_ = std::thread([this, &sink] { RegisterAndPark(sink); });
}

void SigtermExtension::RegisterAndPark(const LogSink& sink) {
  pthread_setname_np(pthread_self(), "lmc-extension");
  absl::StatusOr<ApiReply> reply = client_->RegisterExtension("lmc", R"({"events":[]})");
  const bool registered = reply.ok() && reply->status == 200 && !reply->extension_id.empty();
  if (!registered) {
    sink.Write(
        LogLevel::kWarn, {},
        absl::StrCat("could not register the internal extension (",
                     reply.ok() ? absl::StrCat("HTTP ", reply->status) : reply.status().ToString(),
                     "); SIGTERM will not announce shutdown"));
  }
  {
    MutexLock lock(&mu_);
    settled_ = true;
    registered_ = registered;
  }
  if (!registered) return;
  // Parks in event/next until shutdown. Calling it once is what Lambda needs (init waits for
  // every extension's first call); whatever the answer, there is no reason to call again, and
  // not calling again rules out a busy loop on an API that answers at once.
  client_->NextExtensionEvent(reply->extension_id).IgnoreError();
}

bool SigtermExtension::AwaitRegistration() {
  MutexLock lock(&mu_);
  mu_.Await([this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return settled_; });
  return registered_;
}

SigtermExtension::~SigtermExtension() {
  client_->Abort();
  thread_.join();
}

}  // namespace lmc
