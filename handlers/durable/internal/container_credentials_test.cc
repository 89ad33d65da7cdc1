#include "handlers/durable/internal/container_credentials.h"

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "handlers/durable/credentials.h"
#include "handlers/durable/internal/local_http_server.h"
#include "lmc/clock.h"
#include "lmc/mutex.h"

namespace lmc::durable::internal {
namespace {

using ::testing::HasSubstr;

EnvLookup Env(const std::map<std::string, std::string, std::less<>>& values) {
  return [values](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(name);
    return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

// A file in a fresh temporary directory, removed with it.
class TempFile {
 public:
  TempFile() {
    std::string pattern = (std::filesystem::temp_directory_path() / "lmc-creds-XXXXXX").string();
    dir_ = mkdtemp(pattern.data()) != nullptr ? pattern : "";
    path_ = dir_ + "/token";
  }
  ~TempFile() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::string& path() const { return path_; }
  void Write(std::string_view contents) const {
    std::ofstream(path_, std::ios::binary | std::ios::trunc) << contents;
  }

 private:
  std::string dir_;
  std::string path_;
};

TEST(ContainerCredentials, OnlyHttpsLoopbackAndTheContainerHostsAreAllowed) {
  for (const char* url :
       {"https://creds.example.com/x", "http://127.0.0.1:8080/creds", "http://127.1.2.3/c",
        "http://localhost/c", "http://[::1]:9/c", "http://169.254.170.2/v2/credentials/id",
        "http://169.254.170.23/v1/credentials", "http://[fd00:ec2::23]/v1/credentials"}) {
    EXPECT_TRUE(CheckContainerUrl(url).ok()) << url << ": " << CheckContainerUrl(url);
  }
  for (const char* url : {"http://example.com/creds", "http://169.254.169.254/latest",
                          "http://128.0.0.1/c", "ftp://127.0.0.1/c", "not a url"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(CheckContainerUrl(url))) << url;
  }
}

TEST(ContainerCredentials, RelativeUriWinsAndResolvesAgainstTheLinkLocalHost) {
  absl::StatusOr<std::optional<ContainerSource>> source = ContainerSourceFromEnvironment(
      Env({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc"},
           {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1/ignored"},
           {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "Basic abcd"}}));
  ASSERT_TRUE(source.ok()) << source.status();
  ASSERT_TRUE(source->has_value());
  EXPECT_EQ((*source)->url, "http://169.254.170.2/v2/credentials/abc");
  EXPECT_EQ((*source)->token, "Basic abcd");
  absl::StatusOr<std::optional<ContainerSource>> none = ContainerSourceFromEnvironment(Env({}));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST(ContainerCredentials, TheTokenFileWinsOverTheTokenAndLineBreaksAreRefused) {
  TempFile file;
  file.Write("from-file\n");
  ContainerSource source{"http://127.0.0.1/c", "from-variable", file.path()};
  EXPECT_EQ(AuthorizationToken(source).value_or("error"), "from-file");
  source.token_file.reset();
  EXPECT_EQ(AuthorizationToken(source).value_or("error"), "from-variable");
  source.token = "a\r\nX-Injected: 1";
  EXPECT_THAT(AuthorizationToken(source).status().message(), HasSubstr("line break"));
  source.token_file = file.path() + ".missing";
  EXPECT_THAT(AuthorizationToken(source).status().message(),
              HasSubstr("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + file.path() + ".missing"));
  source.token_file.reset();
  source.token.reset();
  EXPECT_EQ(AuthorizationToken(source).value_or("error"), "");
}

TEST(ContainerCredentials, AnswersAreReadWithTheirExpiration) {
  absl::StatusOr<AwsCredentials> credentials = ParseContainerCredentials(
      R"({"AccessKeyId":"ASIA1","SecretAccessKey":"s","Token":"t",)"
      R"("Expiration":"2026-08-07T10:00:00.5+02:00","AccountId":"123456789012"})");
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_EQ(credentials->access_key_id, "ASIA1");
  EXPECT_EQ(credentials->secret_access_key, "s");
  EXPECT_EQ(credentials->session_token, "t");
  EXPECT_EQ(absl::FromChrono(*credentials->expiration),
            absl::FromUnixMillis(1'786'089'600'500));  // 08:00:00.5 UTC
  EXPECT_THAT(
      ParseContainerCredentials(R"({"SecretAccessKey":"s","Expiration":"x"})").status().message(),
      HasSubstr("lacks AccessKeyId"));
  EXPECT_THAT(
      ParseContainerCredentials(R"({"AccessKeyId":"a","SecretAccessKey":"s"})").status().message(),
      HasSubstr("lacks Expiration"));
  EXPECT_THAT(ParseContainerCredentials(
                  R"({"AccessKeyId":"a","SecretAccessKey":"s","Expiration":"tomorrow"})")
                  .status()
                  .message(),
              HasSubstr("\"tomorrow\" is not RFC 3339"));
  EXPECT_THAT(ParseContainerCredentials("<html>").status().message(), HasSubstr("not JSON"));
}

// A credentials endpoint that rotates: each authorised request gets the next key id, valid for
// an hour of the test's clock; a request without the current token gets 401.
class RotatingEndpoint {
 public:
  explicit RotatingEndpoint(const Clock& clock)
      : clock_(clock), server_([this](const std::string& request) { return Respond(request); }) {}

  void set_token(std::string token) {
    MutexLock lock(&mu_);
    token_ = std::move(token);
  }
  std::string url() const { return server_.url() + "/v1/credentials"; }
  const LocalHttpServer& server() const { return server_; }

 private:
  std::string Respond(const std::string& request) {
    MutexLock lock(&mu_);
    if (LocalHttpServer::Header(request, "Authorization") != token_) {
      return LocalHttpServer::Answer(401, R"({"Code":"AccessDenied","Message":"bad token"})");
    }
    ++issued_;
    const std::string expiration =
        absl::FormatTime(absl::RFC3339_sec, absl::FromChrono(clock_.Now() + std::chrono::hours(1)),
                         absl::UTCTimeZone());
    return LocalHttpServer::Answer(
        200,
        absl::StrCat(R"({"AccessKeyId":"ASIA)", issued_, R"(","SecretAccessKey":"secret)", issued_,
                     R"(","Token":"session)", issued_, R"(","Expiration":")", expiration, R"("})"));
  }

  const Clock& clock_;
  Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  int issued_ ABSL_GUARDED_BY(mu_) = 0;
  LocalHttpServer server_;  // last: its thread stops before the state it uses goes
};

TEST(ContainerCredentials, RotatingCredentialsAreRefreshedWithTheRotatedTokenFile) {
  FakeClock clock;
  RotatingEndpoint endpoint(clock);
  TempFile token;
  token.Write("token-1");
  endpoint.set_token("token-1");
  absl::StatusOr<std::shared_ptr<CredentialsProvider>> provider = CredentialsFromEnvironment(
      Env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.url()},
           {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token.path()},
           {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored: the file wins"}}),
      clock);
  ASSERT_TRUE(provider.ok()) << provider.status();
  absl::StatusOr<std::shared_ptr<const AwsCredentials>> first = (*provider)->Get();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ((*first)->access_key_id, "ASIA1");
  EXPECT_EQ((*first)->session_token, "session1");
  EXPECT_EQ(*(*first)->expiration, clock.Now() + std::chrono::hours(1));
  EXPECT_EQ(LocalHttpServer::Header(endpoint.server().requests().at(0), "Accept"),
            "application/json");

  // The orchestrator rotates the token; the next refresh reads the file again.
  token.Write("token-2\n");
  endpoint.set_token("token-2");
  clock.Advance(std::chrono::minutes(56));
  absl::StatusOr<std::shared_ptr<const AwsCredentials>> second = (*provider)->Get();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ((*second)->access_key_id, "ASIA2");
  EXPECT_EQ((*second)->secret_access_key, "secret2");

  // The endpoint refuses the token now: the refresh fails, the current credentials sign on until
  // they are about to expire, then the endpoint's refusal is the error.
  endpoint.set_token("token-3");
  clock.Advance(std::chrono::minutes(56));
  EXPECT_EQ((*(*provider)->Get())->access_key_id, "ASIA2");
  clock.Advance(std::chrono::minutes(4));
  absl::StatusOr<std::shared_ptr<const AwsCredentials>> refused = (*provider)->Get();
  EXPECT_TRUE(absl::IsUnavailable(refused.status())) << refused.status();
  EXPECT_THAT(refused.status().message(),
              HasSubstr(absl::StrCat("container credentials from ", endpoint.url(),
                                     ": HTTP 401: AccessDenied: bad token")));
  EXPECT_EQ(endpoint.server().requests().size(), 4u);
}

}  // namespace
}  // namespace lmc::durable::internal
