// File: handlers/durable/credentials.h
//
// AWS credentials for signing the durable-execution APIs, as the AWS SDKs' default credential
// chain finds them (PROTOCOL.md §6): the environment variables AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else the container credential provider
// (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI on 169.254.170.2, or AWS_CONTAINER_CREDENTIALS_FULL_URI,
// authorised by AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or AWS_CONTAINER_AUTHORIZATION_TOKEN).
//
// Why this matters on Lambda Managed Instances: an execution environment lives up to 14 days
// and temporary credentials expire long before that. Credentials from the container endpoint
// carry an Expiration; RefreshingCredentials fetches new ones ahead of it, once for the whole
// process however many invocations sign at the same moment, keeps serving the current ones
// while a refresh fails (retrying with exponential backoff) and reports a clear error only when
// no usable credentials are left.
//
// Example:
//
//   absl::StatusOr<std::shared_ptr<lmc::durable::CredentialsProvider>> credentials =
//       lmc::durable::CredentialsFromEnvironment();
//   if (!credentials.ok()) return credentials.status();   // no source configured
//   absl::StatusOr<std::shared_ptr<const lmc::durable::AwsCredentials>> now =
//   (*credentials)->Get(); if (now.ok()) Sign(request, (*now)->access_key_id,
//   (*now)->secret_access_key);
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lmc/clock.h"
#include "lmc/mutex.h"

namespace lmc::durable {

// Looks an environment variable up: nullopt when it is unset or empty.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// The process environment as an EnvLookup. getenv is safe to call concurrently as long as
// nothing modifies the environment, which lmc never does after start-up.
std::optional<std::string> ProcessEnv(std::string_view name);

// AwsCredentials
//
// One set of credentials. Immutable once handed out (providers share them as
// shared_ptr<const AwsCredentials>).
struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;                   // "": none (long-term keys)
  std::optional<Clock::TimePoint> expiration;  // nullopt: they do not expire
};

// CredentialsProvider
//
// Implementations are thread-safe: one provider serves every invocation of the process.
class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;

  // The credentials to sign a request with now. kUnavailable when none can be had at the moment
  // (the message says why and from where); cheap when nothing needs fetching.
  virtual absl::StatusOr<std::shared_ptr<const AwsCredentials>> Get() = 0;
};

// StaticCredentials
//
// Credentials that never change (the environment variables, a test's keys).
class StaticCredentials final : public CredentialsProvider {
 public:
  explicit StaticCredentials(AwsCredentials credentials)
      : credentials_(std::make_shared<const AwsCredentials>(std::move(credentials))) {}
  absl::StatusOr<std::shared_ptr<const AwsCredentials>> Get() override { return credentials_; }

 private:
  const std::shared_ptr<const AwsCredentials> credentials_;
};

// RefreshPolicy
//
// When RefreshingCredentials fetches. Defaults: refresh from 5 minutes before Expiration (the
// JS SDK v3's window), sign with credentials until 1 minute before it (a signed request must
// reach AWS before they expire), at most one fetch per 30 s while the current ones are usable
// (an endpoint may keep returning the same credentials until shortly before they expire), and
// after a failed fetch wait 1 s, 2 s, 4 s ... up to 30 s before the next.
struct RefreshPolicy {
  std::chrono::seconds refresh_ahead{300};
  std::chrono::seconds expiry_margin{60};
  std::chrono::seconds min_refresh_interval{30};
  std::chrono::milliseconds retry_base{1000};
  std::chrono::milliseconds retry_max{30000};
};

// RefreshingCredentials
//
// Caches what `fetch` returns and fetches again as RefreshPolicy says. At most one fetch is in
// flight: a caller that finds a refresh due while the cached credentials are still usable
// either performs it (the first) or gets the cached ones at once (the others); when nothing
// usable is cached, every caller waits for the one fetch in flight and shares its outcome.
// During the backoff after a failed fetch, callers get the cached credentials while they are
// usable and the last fetch error (kUnavailable) once they are not; nothing is fetched again
// before the backoff is over. Thread-safe; `clock` must outlive it; `fetch` is called by one
// thread at a time, without any lock of the provider held.
class RefreshingCredentials final : public CredentialsProvider {
 public:
  using Fetch = std::function<absl::StatusOr<AwsCredentials>()>;

  // `source` names where the credentials come from, for error messages.
  RefreshingCredentials(std::string source, Fetch fetch, const Clock& clock,
                        RefreshPolicy policy = {});

  absl::StatusOr<std::shared_ptr<const AwsCredentials>> Get() override;

  // How many fetches have been made (for tests and diagnostics).
  int64_t fetches() const;

 private:
  // Whether `credentials` may still sign at `now`.
  bool Usable(const std::shared_ptr<const AwsCredentials>& credentials, Clock::TimePoint now) const;
  // Fetches (no lock held) and records the outcome; returns what the caller should answer.
  absl::StatusOr<std::shared_ptr<const AwsCredentials>> FetchAndStore();
  // The backoff after `failures` consecutive failed fetches.
  std::chrono::milliseconds Backoff(int failures) const;

  const std::string source_;
  const Fetch fetch_;
  const Clock& clock_;
  const RefreshPolicy policy_;

  mutable Mutex mu_;
  std::shared_ptr<const AwsCredentials> current_ ABSL_GUARDED_BY(mu_);
  // No fetch before this (refresh schedule or backoff); the epoch: fetch at once.
  Clock::TimePoint next_fetch_ ABSL_GUARDED_BY(mu_);
  bool fetching_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // completed fetches
  int failures_ ABSL_GUARDED_BY(mu_) = 0;         // consecutive failed fetches
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  int64_t fetches_ ABSL_GUARDED_BY(mu_) = 0;
};

// CredentialsFromEnvironment()
//
// The default chain, read from `getenv` (the process environment when empty):
//   1. AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN, optional): static
//      credentials, as classic Lambda provides them;
//   2. AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on http://169.254.170.2) or, when it is unset,
//      AWS_CONTAINER_CREDENTIALS_FULL_URI: RefreshingCredentials over the container credential
//      endpoint, authorised by the contents of AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read
//      again on every fetch) or else AWS_CONTAINER_AUTHORIZATION_TOKEN. A full URI must be https
//      or name a loopback host, 169.254.170.2, 169.254.170.23 or fd00:ec2::23.
// InvalidArgument, naming the variables, when only one of the key pair is set, when a container
// URI is not allowed, or when no source is configured at all. Nothing is fetched here.
absl::StatusOr<std::shared_ptr<CredentialsProvider>> CredentialsFromEnvironment(
    const EnvLookup& getenv = {}, const Clock& clock = Clock::Real());

}  // namespace lmc::durable
