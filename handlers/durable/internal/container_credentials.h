// File: handlers/durable/internal/container_credentials.h
//
// The container credential provider's wire side (PROTOCOL.md §6): where the endpoint is
// (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI), which hosts it may be on, the
// Authorization header (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE / _TOKEN), one GET with libcurl
// and the JSON answer {"AccessKeyId","SecretAccessKey","Token","Expiration"}. Caching and
// refreshing are RefreshingCredentials' business (handlers/durable/credentials.h).
//
// Example:
//
//   absl::StatusOr<std::optional<ContainerSource>> source = ContainerSourceFromEnvironment(env);
//   if (source.ok() && source->has_value()) {
//     absl::StatusOr<AwsCredentials> now = FetchContainerCredentials(**source);
//   }
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "handlers/durable/credentials.h"

namespace lmc::durable::internal {

// The link-local host the relative URI is resolved against.
inline constexpr std::string_view kContainerCredentialsHost = "http://169.254.170.2";

// ContainerSource
//
// Where and how to ask. `token_file`, when set, is read on every fetch (the orchestrator
// rotates it) and wins over `token`.
struct ContainerSource {
  std::string url;
  std::optional<std::string> token;
  std::optional<std::string> token_file;
  std::chrono::milliseconds timeout{2000};
};

// The source the environment configures: nullopt when neither URI variable is set;
// InvalidArgument for a full URI whose host is not allowed (CheckContainerUrl).
absl::StatusOr<std::optional<ContainerSource>> ContainerSourceFromEnvironment(const EnvLookup& env);

// OK for an https URL, or an http URL whose host is loopback (127.0.0.0/8, ::1, localhost),
// 169.254.170.2 (ECS), 169.254.170.23 or fd00:ec2::23 (EKS Pod Identity), as the AWS SDKs
// require; InvalidArgument saying so otherwise. Only literal hosts count (no DNS lookup).
absl::Status CheckContainerUrl(std::string_view url);

// The Authorization header's value ("" when no token is configured): the token file's contents
// without trailing line breaks, else the token. InvalidArgument when the file cannot be read or
// the value holds a CR or LF (not a legal header value).
absl::StatusOr<std::string> AuthorizationToken(const ContainerSource& source);

// Reads the endpoint's answer. AccessKeyId, SecretAccessKey and Expiration (RFC 3339) are
// required; Token is optional. InvalidArgument naming what is wrong.
absl::StatusOr<AwsCredentials> ParseContainerCredentials(std::string_view json);

// One GET of `source.url` with Accept: application/json and the Authorization token.
// kUnavailable for anything that went wrong, the message naming the URL, the HTTP status and
// the endpoint's Code/Message when it sent them.
absl::StatusOr<AwsCredentials> FetchContainerCredentials(const ContainerSource& source);

}  // namespace lmc::durable::internal
