#include "handlers/durable/lambda_client.h"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "handlers/durable/credentials.h"
#include "handlers/durable/internal/aws_request.h"
#include "handlers/durable/internal/local_http_server.h"
#include "lmc/clock.h"
#include "lmc/strings.h"

namespace lmc::durable {
namespace {

using ::testing::HasSubstr;

using CaptureServer = internal::LocalHttpServer;

std::string Answer(int status, std::string_view body, std::string_view extra_headers = "") {
  return CaptureServer::Answer(status, body, extra_headers);
}
std::string Header(const std::string& request, std::string_view name) {
  return CaptureServer::Header(request, name);
}
std::string RequestLine(const std::string& request) { return CaptureServer::RequestLine(request); }
std::string Body(const std::string& request) { return CaptureServer::Body(request); }

// The credentials, region, service and date of AWS's published SigV4 test suite.
LambdaClientConfig SuiteConfig(int port) {
  LambdaClientConfig config;
  config.endpoint = absl::StrCat("http://127.0.0.1:", port);
  config.region = "us-east-1";
  config.service = "service";
  config.access_key_id = "AKIDEXAMPLE";
  config.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  config.fixed_amz_date = "20150830T123600Z";
  return config;
}

struct Vector {
  std::string name;
  LambdaClient::HttpRequest request;
  std::string session_token;
  std::string signed_headers;
  std::string signature;
};

// Requests of AWS's published SigV4 test suite (aws-signing-test-suite/v4, as published in
// awslabs/aws-c-auth) with their expected signed headers and signatures.
std::vector<Vector> PublishedVectors() {
  const std::pair<std::string, std::string> host = {"Host", "example.amazonaws.com"};
  std::vector<Vector> vectors;
  vectors.push_back({"get-vanilla",
                     {"GET", {}, {}, {host}, std::nullopt},
                     "",
                     "host;x-amz-date",
                     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"});
  vectors.push_back(
      {"get-vanilla-query-order-key-case",
       {"GET", {}, {{"Param2", "value2"}, {"Param1", "value1"}}, {host}, std::nullopt},
       "",
       "host;x-amz-date",
       "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"});
  vectors.push_back({"get-unreserved",
                     {"GET",
                      {"-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"},
                      {},
                      {host},
                      std::nullopt},
                     "",
                     "host;x-amz-date",
                     "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"});
  vectors.push_back({"post-vanilla",
                     {"POST", {}, {}, {host}, ""},
                     "",
                     "host;x-amz-date",
                     "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"});
  vectors.push_back({"post-vanilla-query",
                     {"POST", {}, {{"Param1", "value1"}}, {host}, ""},
                     "",
                     "host;x-amz-date",
                     "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"});
  vectors.push_back({"get-vanilla-with-session-token",
                     {"GET", {}, {}, {host}, std::nullopt},
                     "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
                     "host;x-amz-date;x-amz-security-token",
                     "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"});
  vectors.push_back({"get-header-value-trim",
                     {"GET",
                      {},
                      {},
                      {host, {"My-Header1", "value1"}, {"My-Header2", "\"a   b   c\""}},
                      std::nullopt},
                     "",
                     "host;my-header1;my-header2;x-amz-date",
                     "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"});
  vectors.push_back({"post-x-www-form-urlencoded",
                     {"POST",
                      {},
                      {},
                      {{"Content-Type", "application/x-www-form-urlencoded"},
                       host,
                       {"Content-Length", "13"},
                       {"X-Amz-Content-Sha256",
                        "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"}},
                      "Param1=value1"},
                     "",
                     "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
                     "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b"});
  return vectors;
}

TEST(LambdaClientSigV4, SignsAwsPublishedTestVectorsExactly) {
  for (const Vector& vector : PublishedVectors()) {
    CaptureServer server({Answer(200, "{}")});
    LambdaClientConfig config = SuiteConfig(server.port());
    config.session_token = vector.session_token;
    LambdaClient client(config);
    absl::StatusOr<LambdaClient::HttpResponse> response = client.Send(vector.request);
    ASSERT_TRUE(response.ok()) << vector.name << ": " << response.status();
    ASSERT_EQ(server.requests().size(), 1u) << vector.name;
    EXPECT_EQ(Header(server.requests()[0], "Authorization"),
              absl::StrCat("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
                           "aws4_request, SignedHeaders=",
                           vector.signed_headers, ", Signature=", vector.signature))
        << vector.name;
  }
}

// A Lambda-shaped client reaching the capture server as lambda.us-east-1.amazonaws.com.
LambdaClientConfig LambdaConfig(int port) {
  LambdaClientConfig config;
  config.endpoint = "http://lambda.us-east-1.amazonaws.com";
  config.connect_to = {absl::StrCat("lambda.us-east-1.amazonaws.com:80:127.0.0.1:", port)};
  config.region = "us-east-1";
  config.access_key_id = "AKIDEXAMPLE";
  config.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  config.session_token = "FwoGZXIvYXdzEXAMPLE";
  config.fixed_amz_date = "20150830T123600Z";
  return config;
}

constexpr char kArn[] =
    "arn:aws:lambda:us-east-1:123456789012:function:orders:$LATEST/durable-execution/run-1/4f2c";
constexpr char kEncodedArn[] =
    "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Aorders%3A%24LATEST%2F"
    "durable-execution%2Frun-1%2F4f2c";

TEST(LambdaClientSigV4, CheckpointIsSentToTheEncodedArnAndSignedOverThePathEncodedTwice) {
  CaptureServer server({Answer(
      200, R"({"CheckpointToken":"next","NewExecutionState":{"Operations":[{"Id":"c4ca4238a0b92382",
           "Type":"STEP","Status":"STARTED","StartTimestamp":1440938160.5}]}})")});
  LambdaClient client(LambdaConfig(server.port()));
  CheckpointRequest request;
  request.durable_execution_arn = kArn;
  request.checkpoint_token = "AQID+tok/en==";
  OperationUpdate start;
  start.id = "c4ca4238a0b92382";
  start.name = "charge";
  start.type = OperationType::kStep;
  start.sub_type = "Step";
  request.updates = {start};
  absl::StatusOr<CheckpointResponse> response = client.Checkpoint(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->checkpoint_token, "next");
  ASSERT_EQ(response->operations.size(), 1u);
  EXPECT_EQ(response->operations[0].start_ms, 1'440'938'160'500);
  const std::string sent = server.requests().at(0);
  EXPECT_EQ(RequestLine(sent), absl::StrCat("POST /2025-12-01/durable-executions/", kEncodedArn,
                                            "/checkpoint HTTP/1.1"));
  EXPECT_EQ(Body(sent), R"({"CheckpointToken":"AQID+tok/en==","Updates":[{"Id":"c4ca4238a0b92382",)"
                        R"("Name":"charge","Type":"STEP","SubType":"Step","Action":"START"}]})");
  EXPECT_EQ(Header(sent, "Host"), "lambda.us-east-1.amazonaws.com");
  EXPECT_EQ(Header(sent, "X-Amz-Security-Token"), "FwoGZXIvYXdzEXAMPLE");
  // The signature botocore (1.43.11, SigV4Auth) computes for this exact request.
  EXPECT_EQ(Header(sent, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/lambda/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, "
            "Signature=0a9921592f5cd6bff7f98edfe0a2ff7a8275512adad4d1e678df11178372bd0b");
}

TEST(LambdaClientSigV4, StateQueryIsSortedEncodedAndSigned) {
  CaptureServer server({Answer(200, R"({"Operations":[],"NextMarker":"page 3"})")});
  LambdaClient client(LambdaConfig(server.port()));
  absl::StatusOr<StateResponse> response = client.GetState({kArn, "AQID+tok/en==", "page 2", 1000});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->next_marker, "page 3");
  const std::string sent = server.requests().at(0);
  EXPECT_EQ(RequestLine(sent),
            absl::StrCat("GET /2025-12-01/durable-executions/", kEncodedArn,
                         "/state?CheckpointToken=AQID%2Btok%2Fen%3D%3D&Marker=page%202"
                         "&MaxItems=1000 HTTP/1.1"));
  EXPECT_EQ(Header(sent, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/lambda/aws4_request, "
            "SignedHeaders=host;x-amz-date;x-amz-security-token, "
            "Signature=0798c33df660f0e8e8fe8f76183bd68d1cf6875ffe3fd58ed66f710d5faebd47");
}

TEST(LambdaClient, ErrorAnswersMapToTheCheckpointServiceCodes) {
  struct Case {
    std::string answer;
    absl::StatusCode code;
  };
  const std::vector<Case> cases = {
      {Answer(429, R"({"Type":"User","message":"Rate exceeded"})",
              "X-Amzn-ErrorType: TooManyRequestsException\r\nRetry-After: 1\r\n"),
       absl::StatusCode::kResourceExhausted},
      {Answer(500, R"({"Type":"Service","Message":"boom"})",
              "X-Amzn-ErrorType: ServiceException\r\n"),
       absl::StatusCode::kUnavailable},
      {Answer(400, R"({"Type":"User","message":"Invalid Checkpoint Token: used"})",
              "X-Amzn-ErrorType: InvalidParameterValueException:http://internal.amazon.com/x\r\n"),
       absl::StatusCode::kAborted},
      {Answer(400, R"({"__type":"com.amazon#InvalidParameterValueException","message":"bad Id"})"),
       absl::StatusCode::kInvalidArgument},
      {Answer(403, R"({"message":"denied"})", "X-Amzn-ErrorType: AccessDeniedException\r\n"),
       absl::StatusCode::kPermissionDenied},
      {Answer(502, R"({"message":"kms"})", "X-Amzn-ErrorType: KMSAccessDeniedException\r\n"),
       absl::StatusCode::kFailedPrecondition},
  };
  for (const Case& c : cases) {
    CaptureServer server({c.answer});
    LambdaClient client(LambdaConfig(server.port()));
    absl::StatusOr<StateResponse> response = client.GetState({kArn, "t", "", 1000});
    EXPECT_EQ(response.status().code(), c.code) << response.status();
    EXPECT_THAT(response.status().message(), HasSubstr("GetDurableExecutionState: HTTP"));
  }
}

TEST(LambdaClient, InvalidTokenMessageNamesTheCode) {
  CaptureServer server({Answer(400, R"({"Type":"User","message":"Invalid Checkpoint Token: x"})",
                               "X-Amzn-ErrorType: InvalidParameterValueException\r\n")});
  LambdaClient client(LambdaConfig(server.port()));
  absl::Status status = client.Checkpoint({kArn, "t", {}, ""}).status();
  EXPECT_TRUE(absl::IsAborted(status)) << status;
  EXPECT_THAT(status.message(),
              HasSubstr("CheckpointDurableExecution: HTTP 400 InvalidParameterValueException: "
                        "Invalid Checkpoint Token: x"));
}

TEST(LambdaClient, UnreachableEndpointIsUnavailable) {
  int port = 0;
  {
    CaptureServer server(
        std::vector<std::string>{});  // bound, then closed: nothing listens on the port afterwards
    port = server.port();
  }
  LambdaClientConfig config = LambdaConfig(port);
  config.connect_timeout = std::chrono::milliseconds(2000);
  LambdaClient client(config);
  absl::Status status = client.Checkpoint({kArn, "t", {}, ""}).status();
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("CheckpointDurableExecution"));
}

TEST(LambdaClient, CallbackApisSendTheirPathsAndBodies) {
  CaptureServer server({Answer(200, "{}"), Answer(200, "{}"), Answer(200, "{}"),
                        Answer(400, R"({"Message":"Callback timed out"})",
                               "X-Amzn-ErrorType: CallbackTimeoutException\r\n")});
  LambdaClient client(LambdaConfig(server.port()));
  const std::string id = "Y2Fs+bGJhY2s/=";
  ASSERT_TRUE(client.SendCallbackSuccess(id, R"({"approved":true})").ok());
  ASSERT_TRUE(client.SendCallbackFailure(id, {"Partner.Refused", "no", std::nullopt, {}}).ok());
  ASSERT_TRUE(client.SendCallbackHeartbeat(id).ok());
  absl::Status late = client.SendCallbackSuccess(id, "1");
  EXPECT_TRUE(absl::IsInvalidArgument(late)) << late;
  EXPECT_THAT(late.message(), HasSubstr("CallbackTimeoutException"));
  const std::vector<std::string> sent = server.requests();
  ASSERT_EQ(sent.size(), 4u);
  const std::string path = "/2025-12-01/durable-execution-callbacks/Y2Fs%2BbGJhY2s%2F%3D/";
  EXPECT_EQ(RequestLine(sent[0]), "POST " + path + "succeed HTTP/1.1");
  EXPECT_EQ(Body(sent[0]), R"({"approved":true})");
  EXPECT_EQ(Header(sent[0], "Content-Type"), "application/octet-stream");
  EXPECT_EQ(RequestLine(sent[1]), "POST " + path + "fail HTTP/1.1");
  EXPECT_EQ(Body(sent[1]), R"({"ErrorType":"Partner.Refused","ErrorMessage":"no"})");
  EXPECT_EQ(RequestLine(sent[2]), "POST " + path + "heartbeat HTTP/1.1");
  EXPECT_EQ(Body(sent[2]), "");
}

TEST(LambdaClient, RequestsAreSignedWithTheCredentialsCurrentWhenSent) {
  FakeClock clock;
  int fetched = 0;
  bool failing = false;
  LambdaClientConfig config = LambdaConfig(0);
  config.credentials = std::make_shared<RefreshingCredentials>(
      "the test's source",
      [&]() -> absl::StatusOr<AwsCredentials> {
        if (failing) return absl::UnavailableError("the test's source is down");
        ++fetched;
        return AwsCredentials{absl::StrCat("ASIAKEY", fetched), "secret",
                              absl::StrCat("session-", fetched),
                              clock.Now() + std::chrono::hours(1)};
      },
      clock);
  CaptureServer server({Answer(200, "{}"), Answer(200, "{}"), Answer(200, "{}")});
  config.connect_to = {absl::StrCat("lambda.us-east-1.amazonaws.com:80:127.0.0.1:", server.port())};
  LambdaClient client(config);
  ASSERT_TRUE(client.SendCallbackHeartbeat("a").ok());
  clock.Advance(std::chrono::minutes(30));
  ASSERT_TRUE(client.SendCallbackHeartbeat("b").ok());
  clock.Advance(std::chrono::minutes(26));  // inside the refresh window
  ASSERT_TRUE(client.SendCallbackHeartbeat("c").ok());
  const std::vector<std::string> sent = server.requests();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_THAT(Header(sent[0], "Authorization"), HasSubstr("Credential=ASIAKEY1/20150830/"));
  EXPECT_EQ(Header(sent[0], "X-Amz-Security-Token"), "session-1");
  EXPECT_THAT(Header(sent[1], "Authorization"), HasSubstr("Credential=ASIAKEY1/20150830/"));
  EXPECT_THAT(Header(sent[2], "Authorization"), HasSubstr("Credential=ASIAKEY2/20150830/"));
  EXPECT_EQ(Header(sent[2], "X-Amz-Security-Token"), "session-2");

  // No usable credentials: nothing is sent, the call is retryable and says why.
  failing = true;
  clock.Advance(std::chrono::hours(2));
  absl::Status status = client.SendCallbackHeartbeat("d");
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_THAT(status.message(),
              HasSubstr("no credentials to sign with: the test's source is down"));
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(LambdaClientConfig, EndpointAndCredentialsComeFromTheEnvironmentInOrder) {
  std::map<std::string, std::string, std::less<>> env = {
      {"AWS_REGION", "eu-west-1"},
      {"AWS_ACCESS_KEY_ID", "AKID"},
      {"AWS_SECRET_ACCESS_KEY", "secret"},
      {"AWS_SESSION_TOKEN", "token"},
      {"AWS_ENDPOINT_URL", "http://general"},
      {"AWS_ENDPOINT_URL_LAMBDA", "http://lambda-only"}};
  const auto lookup = [&](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(name);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  absl::StatusOr<LambdaClientConfig> config = LambdaClientConfigFromEnvironment(lookup);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->endpoint, "http://lambda-only");
  ASSERT_NE(config->credentials, nullptr);
  EXPECT_EQ((*config->credentials->Get())->session_token, "token");
  env.erase("AWS_ENDPOINT_URL_LAMBDA");
  EXPECT_EQ(LambdaClientConfigFromEnvironment(lookup)->endpoint, "http://general");
  env.erase("AWS_ENDPOINT_URL");
  EXPECT_EQ(LambdaClientConfigFromEnvironment(lookup)->endpoint,
            "https://lambda.eu-west-1.amazonaws.com");
  env["SSL_CERT_FILE"] = "/opt/certs.pem";
  EXPECT_EQ(LambdaClientConfigFromEnvironment(lookup)->ca_bundle, "/opt/certs.pem");
  env.erase("AWS_SECRET_ACCESS_KEY");
  EXPECT_THAT(LambdaClientConfigFromEnvironment(lookup).status().message(),
              HasSubstr("AWS_SECRET_ACCESS_KEY is not"));
  env.erase("AWS_ACCESS_KEY_ID");
  env["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/x";
  EXPECT_TRUE(LambdaClientConfigFromEnvironment(lookup).ok());
  env.erase("AWS_REGION");
  EXPECT_THAT(LambdaClientConfigFromEnvironment(lookup).status().message(),
              HasSubstr("AWS_REGION"));
}

TEST(AwsRequest, EncodingSortingAndTargetsPerCurlVersion) {
  using internal::CanonicalQuery;
  using internal::PrepareTarget;
  using internal::UriEncode;
  EXPECT_EQ(UriEncode("a-b_c.d~e f/g:h+i=$", false), "a-b_c.d~e%20f%2Fg%3Ah%2Bi%3D%24");
  EXPECT_EQ(UriEncode("/x y/", true), "/x%20y/");
  EXPECT_EQ(UriEncode("\xe1\x88\xb4", false), "%E1%88%B4");
  EXPECT_EQ(CanonicalQuery({{"b", "2"}, {"a", "z"}, {"a", "y"}, {"c d", "e&f"}}),
            "a=y&a=z&b=2&c%20d=e%26f");
  internal::PreparedTarget old_curl =
      PrepareTarget("https://h.example/", {"v1", "a:b/c"}, {{"q", "1 2"}}, 0x075801);
  EXPECT_EQ(old_curl.url, "https://h.example/v1/a%253Ab%252Fc?q=1%202");
  EXPECT_EQ(old_curl.request_target, "/v1/a%3Ab%2Fc?q=1%202");
  internal::PreparedTarget new_curl =
      PrepareTarget("https://h.example", {"v1", "a:b/c"}, {}, internal::kCurlEncodesSigV4Path);
  EXPECT_EQ(new_curl.url, "https://h.example/v1/a%3Ab%2Fc");
  EXPECT_EQ(new_curl.request_target, "");
  EXPECT_EQ(PrepareTarget("http://h:9/base", {"x"}, {}, 0x075801).request_target, "/base/x");
}

}  // namespace
}  // namespace lmc::durable
