#include "handlers/durable/credentials.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "handlers/durable/internal/container_credentials.h"
#include "lmc/mutex.h"
#include "lmc/status_macros.h"
#include "lmc/strings.h"

namespace lmc::durable {
namespace {

// Keeps libcurl's global state alive while a container fetcher may run (reference-counted and
// thread-safe in the libcurl versions lmc supports).
class CurlGlobal {
 public:
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
  CurlGlobal(const CurlGlobal&) = delete;
  CurlGlobal& operator=(const CurlGlobal&) = delete;
};

std::string Rfc3339(Clock::TimePoint t) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%SZ", absl::FromChrono(t), absl::UTCTimeZone());
}

}  // namespace

std::optional<std::string> ProcessEnv(std::string_view name) {
  const char* value = std::getenv(std::string(name).c_str());  // NOLINT(concurrency-mt-unsafe)
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

RefreshingCredentials::RefreshingCredentials(std::string source, Fetch fetch, const Clock& clock,
                                             RefreshPolicy policy)
    : source_(std::move(source)), fetch_(std::move(fetch)), clock_(clock), policy_(policy) {}

bool RefreshingCredentials::Usable(const std::shared_ptr<const AwsCredentials>& credentials,
                                   Clock::TimePoint now) const {
  if (credentials == nullptr) return false;
  return !credentials->expiration.has_value() ||
         now < *credentials->expiration - policy_.expiry_margin;
}

std::chrono::milliseconds RefreshingCredentials::Backoff(int failures) const {
  // No jitter: one fetcher per process, and the endpoint is the host's own.
  std::chrono::milliseconds delay = policy_.retry_base;
  for (int i = 1; i < failures && delay < policy_.retry_max; ++i) delay *= 2;
  return std::min(delay, policy_.retry_max);
}

int64_t RefreshingCredentials::fetches() const {
  MutexLock lock(&mu_);
  return fetches_;
}

absl::StatusOr<std::shared_ptr<const AwsCredentials>> RefreshingCredentials::Get() {
  {
    MutexLock lock(&mu_);
    const Clock::TimePoint now = clock_.Now();
    if (Usable(current_, now)) {
      // Due for a refresh and nobody on it: this caller fetches; everyone else signs on.
      if (fetching_ || now < next_fetch_) return current_;
    } else if (fetching_) {
      // Nothing usable: wait for the fetch in flight and share its outcome.
      const uint64_t seen = generation_;
      mu_.Await([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return generation_ != seen; });
      if (Usable(current_, clock_.Now())) return current_;
      if (!last_error_.ok()) return last_error_;
      return absl::UnavailableError(
          absl::StrCat("the credentials from ", source_, " expired while they were fetched"));
    } else if (failures_ > 0 && now < next_fetch_) {
      // Backing off after a failed fetch: fail fast rather than hammer the endpoint.
      return absl::UnavailableError(absl::StrCat(
          "no usable AWS credentials: ", last_error_.message(), " (next attempt in ",
          std::chrono::duration_cast<std::chrono::milliseconds>(next_fetch_ - now).count(),
          " ms)"));
    }
    fetching_ = true;
  }
  return FetchAndStore();
}

absl::StatusOr<std::shared_ptr<const AwsCredentials>> RefreshingCredentials::FetchAndStore() {
  absl::StatusOr<AwsCredentials> fetched = fetch_();
  MutexLock lock(&mu_);
  fetching_ = false;
  ++generation_;
  ++fetches_;
  const Clock::TimePoint now = clock_.Now();
  if (fetched.ok()) {
    auto fresh = std::make_shared<const AwsCredentials>(std::move(*fetched));
    if (Usable(fresh, now)) {
      current_ = std::move(fresh);
      failures_ = 0;
      last_error_ = absl::OkStatus();
      next_fetch_ = Clock::TimePoint::max();
      if (current_->expiration.has_value()) {
        const Clock::TimePoint expiry = *current_->expiration;
        // Refresh ahead of expiry, but not more often than min_refresh_interval, and always
        // before the credentials stop being usable.
        next_fetch_ =
            std::min(std::max(expiry - policy_.refresh_ahead, now + policy_.min_refresh_interval),
                     expiry - policy_.expiry_margin);
      }
      return current_;
    }
    fetched = absl::UnavailableError(absl::StrCat("the credentials from ", source_, " expire at ",
                                                  Rfc3339(*fresh->expiration),
                                                  ", too soon to sign with"));
  }
  ++failures_;
  last_error_ = absl::UnavailableError(fetched.status().message());
  next_fetch_ = now + Backoff(failures_);
  if (Usable(current_, now)) return current_;
  return last_error_;
}

absl::StatusOr<std::shared_ptr<CredentialsProvider>> CredentialsFromEnvironment(
    const EnvLookup& getenv, const Clock& clock) {
  const EnvLookup env = getenv ? getenv : EnvLookup(&ProcessEnv);
  std::optional<std::string> key = env("AWS_ACCESS_KEY_ID");
  if (key.has_value()) {
    std::optional<std::string> secret = env("AWS_SECRET_ACCESS_KEY");
    if (!secret.has_value()) {
      return absl::InvalidArgumentError(
          "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: both are needed to sign");
    }
    return std::make_shared<StaticCredentials>(AwsCredentials{
        std::move(*key), std::move(*secret), env("AWS_SESSION_TOKEN").value_or(""), std::nullopt});
  }
  LMC_ASSIGN_OR_RETURN(std::optional<internal::ContainerSource> source,
                       internal::ContainerSourceFromEnvironment(env));
  if (!source.has_value()) {
    return absl::InvalidArgumentError(
        "no AWS credentials to sign the durable execution APIs with: set AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY (Lambda sets them from the execution role), or "
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / AWS_CONTAINER_CREDENTIALS_FULL_URI (the "
        "container credential provider)");
  }
  auto curl = std::make_shared<CurlGlobal>();
  std::string name = absl::StrCat("the container credential endpoint ", source->url);
  return std::make_shared<RefreshingCredentials>(
      std::move(name),
      [source = std::move(*source), curl] { return internal::FetchContainerCredentials(source); },
      clock);
}

}  // namespace lmc::durable
