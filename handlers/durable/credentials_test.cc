#include "handlers/durable/credentials.h"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lmc/clock.h"
#include "lmc/mutex.h"

namespace lmc::durable {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::HasSubstr;

// A fetch the test scripts: each call hands out the next key id ("AKID1", "AKID2", ...) valid
// for `lifetime` from the clock's now, or fails while `failing` is set. Optionally blocks each
// call until released, to hold a fetch in flight while other callers come.
class ScriptedFetch {
 public:
  explicit ScriptedFetch(const FakeClock& clock, std::chrono::seconds lifetime = minutes(60))
      : clock_(clock), lifetime_(lifetime) {}

  RefreshingCredentials::Fetch AsFetch() {
    return [this]() -> absl::StatusOr<AwsCredentials> {
      MutexLock lock(&mu_);
      ++calls_;
      entered_ = true;
      mu_.Await([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return !hold_; });
      if (failing_) return absl::UnavailableError("endpoint down");
      return AwsCredentials{absl::StrCat("AKID", calls_), "secret", absl::StrCat("token", calls_),
                            clock_.Now() + lifetime_};
    };
  }
  int calls() const {
    MutexLock lock(&mu_);
    return calls_;
  }
  void set_failing(bool failing) {
    MutexLock lock(&mu_);
    failing_ = failing;
  }
  void Hold() {
    MutexLock lock(&mu_);
    hold_ = true;
    entered_ = false;
  }
  void AwaitEntered() {
    MutexLock lock(&mu_);
    mu_.Await([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return entered_; });
  }
  void Release() {
    MutexLock lock(&mu_);
    hold_ = false;
  }

 private:
  const FakeClock& clock_;
  const std::chrono::seconds lifetime_;
  mutable Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  bool failing_ ABSL_GUARDED_BY(mu_) = false;
  bool hold_ ABSL_GUARDED_BY(mu_) = false;
  bool entered_ ABSL_GUARDED_BY(mu_) = false;
};

std::string KeyOf(const absl::StatusOr<std::shared_ptr<const AwsCredentials>>& got) {
  return got.ok() ? (*got)->access_key_id : std::string(got.status().message());
}

TEST(RefreshingCredentials, FetchesOnFirstUseAndRefreshesOnlyInsideTheRefreshWindow) {
  FakeClock clock;
  ScriptedFetch fetch(clock);
  RefreshingCredentials provider("test", fetch.AsFetch(), clock);
  EXPECT_EQ(fetch.calls(), 0);  // nothing is fetched before it is needed
  EXPECT_EQ(KeyOf(provider.Get()), "AKID1");
  EXPECT_EQ(KeyOf(provider.Get()), "AKID1");
  clock.Advance(minutes(54));  // 6 minutes left: outside the 5-minute window
  EXPECT_EQ(KeyOf(provider.Get()), "AKID1");
  EXPECT_EQ(fetch.calls(), 1);
  clock.Advance(minutes(2));  // 4 minutes left
  absl::StatusOr<std::shared_ptr<const AwsCredentials>> refreshed = provider.Get();
  ASSERT_TRUE(refreshed.ok()) << refreshed.status();
  EXPECT_EQ((*refreshed)->access_key_id, "AKID2");
  EXPECT_EQ((*refreshed)->session_token, "token2");
  EXPECT_EQ(fetch.calls(), 2);
}

TEST(RefreshingCredentials, CallersKeepSigningWithCurrentCredentialsWhileOneRefreshes) {
  FakeClock clock;
  ScriptedFetch fetch(clock);
  RefreshingCredentials provider("test", fetch.AsFetch(), clock);
  ASSERT_EQ(KeyOf(provider.Get()), "AKID1");
  clock.Advance(minutes(57));
  fetch.Hold();
  std::string refresher_got;
  std::thread refresher([&] { refresher_got = KeyOf(provider.Get()); });
  fetch.AwaitEntered();
  // The refresh is in flight: everyone else gets the still-usable credentials at once.
  std::vector<std::thread> callers;
  std::vector<std::string> got(15);
  for (size_t i = 0; i < got.size(); ++i) {
    callers.emplace_back([&, i] { got[i] = KeyOf(provider.Get()); });
  }
  for (std::thread& caller : callers) caller.join();
  for (const std::string& key : got) EXPECT_EQ(key, "AKID1");
  fetch.Release();
  refresher.join();
  EXPECT_EQ(refresher_got, "AKID2");
  EXPECT_EQ(fetch.calls(), 2);
  EXPECT_EQ(KeyOf(provider.Get()), "AKID2");
}

TEST(RefreshingCredentials, CallersWithNothingUsableShareOneFetch) {
  FakeClock clock;
  ScriptedFetch fetch(clock);
  RefreshingCredentials provider("test", fetch.AsFetch(), clock);
  ASSERT_EQ(KeyOf(provider.Get()), "AKID1");
  clock.Advance(minutes(59) + seconds(30));  // inside the expiry margin: not usable
  fetch.Hold();
  std::vector<std::thread> callers;
  std::vector<std::string> got(16);
  Mutex mu;
  size_t started = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    callers.emplace_back([&, i] {
      {
        MutexLock lock(&mu);
        ++started;
      }
      got[i] = KeyOf(provider.Get());
    });
  }
  fetch.AwaitEntered();
  {
    // Every caller is on its way into Get() (most are waiting there) before the fetch ends.
    MutexLock lock(&mu);
    mu.Await([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return started == got.size(); });
  }
  fetch.Release();
  for (std::thread& caller : callers) caller.join();
  for (const std::string& key : got) EXPECT_EQ(key, "AKID2");
  EXPECT_EQ(fetch.calls(), 2);  // the first fetch and one refresh, not one per caller
}

TEST(RefreshingCredentials, FailedRefreshKeepsServingUsableCredentialsAndBacksOff) {
  FakeClock clock;
  ScriptedFetch fetch(clock);
  RefreshingCredentials provider("test", fetch.AsFetch(), clock);
  ASSERT_EQ(KeyOf(provider.Get()), "AKID1");
  clock.Advance(minutes(56));
  fetch.set_failing(true);
  EXPECT_EQ(KeyOf(provider.Get()), "AKID1");  // the refresh failed; the old ones still sign
  EXPECT_EQ(fetch.calls(), 2);
  EXPECT_EQ(KeyOf(provider.Get()), "AKID1");  // backing off: no new fetch
  EXPECT_EQ(fetch.calls(), 2);
  clock.Advance(seconds(1));  // first backoff over
  EXPECT_EQ(KeyOf(provider.Get()), "AKID1");
  EXPECT_EQ(fetch.calls(), 3);
  clock.Advance(std::chrono::milliseconds(1999));  // the second backoff is 2 s
  EXPECT_EQ(KeyOf(provider.Get()), "AKID1");
  EXPECT_EQ(fetch.calls(), 3);
  clock.Advance(std::chrono::milliseconds(1));
  fetch.set_failing(false);
  EXPECT_EQ(KeyOf(provider.Get()), "AKID4");
  EXPECT_EQ(fetch.calls(), 4);
}

TEST(RefreshingCredentials, WithNothingUsableAFailureIsReportedAndRetriedAfterTheBackoff) {
  FakeClock clock;
  ScriptedFetch fetch(clock);
  fetch.set_failing(true);
  RefreshingCredentials provider("the test endpoint", fetch.AsFetch(), clock);
  absl::StatusOr<std::shared_ptr<const AwsCredentials>> first = provider.Get();
  EXPECT_TRUE(absl::IsUnavailable(first.status())) << first.status();
  EXPECT_THAT(first.status().message(), HasSubstr("endpoint down"));
  absl::StatusOr<std::shared_ptr<const AwsCredentials>> during = provider.Get();
  EXPECT_TRUE(absl::IsUnavailable(during.status()));
  EXPECT_THAT(during.status().message(), HasSubstr("no usable AWS credentials: endpoint down"));
  EXPECT_THAT(during.status().message(), HasSubstr("next attempt in 1000 ms"));
  EXPECT_EQ(fetch.calls(), 1);
  clock.Advance(seconds(1));
  fetch.set_failing(false);
  EXPECT_EQ(KeyOf(provider.Get()), "AKID2");
}

TEST(RefreshingCredentials, CredentialsExpiringWithinTheMarginAreRefused) {
  FakeClock clock;
  ScriptedFetch fetch(clock, seconds(30));
  RefreshingCredentials provider("the test endpoint", fetch.AsFetch(), clock);
  absl::StatusOr<std::shared_ptr<const AwsCredentials>> got = provider.Get();
  EXPECT_TRUE(absl::IsUnavailable(got.status())) << got.status();
  EXPECT_EQ(std::string(got.status().message()),
            "the credentials from the test endpoint expire at 2023-11-14T22:13:50Z, too soon to "
            "sign with");
}

TEST(RefreshingCredentials, AnEndpointReturningTheSameCredentialsIsAskedAtMostEveryInterval) {
  FakeClock clock;
  ScriptedFetch fetch(clock, minutes(4));  // always inside the 5-minute refresh window
  RefreshingCredentials provider("test", fetch.AsFetch(), clock);
  ASSERT_EQ(KeyOf(provider.Get()), "AKID1");
  for (int i = 0; i < 10; ++i) EXPECT_EQ(KeyOf(provider.Get()), "AKID1");
  EXPECT_EQ(fetch.calls(), 1);
  clock.Advance(seconds(30));
  EXPECT_EQ(KeyOf(provider.Get()), "AKID2");
  EXPECT_EQ(fetch.calls(), 2);
}

TEST(RefreshingCredentials, CredentialsWithoutExpirationAreFetchedOnce) {
  FakeClock clock;
  int calls = 0;
  RefreshingCredentials provider(
      "test",
      [&]() -> absl::StatusOr<AwsCredentials> {
        ++calls;
        return AwsCredentials{"AKID", "secret", "", std::nullopt};
      },
      clock);
  EXPECT_EQ(KeyOf(provider.Get()), "AKID");
  clock.Advance(std::chrono::hours(24 * 14));
  EXPECT_EQ(KeyOf(provider.Get()), "AKID");
  EXPECT_EQ(calls, 1);
}

// An environment given as a map.
EnvLookup Env(const std::map<std::string, std::string, std::less<>>& values) {
  return [values](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(name);
    return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

TEST(CredentialsFromEnvironment, EnvironmentKeysComeFirst) {
  absl::StatusOr<std::shared_ptr<CredentialsProvider>> provider = CredentialsFromEnvironment(
      Env({{"AWS_ACCESS_KEY_ID", "AKID"},
           {"AWS_SECRET_ACCESS_KEY", "secret"},
           {"AWS_SESSION_TOKEN", "token"},
           {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/never-asked"}}));
  ASSERT_TRUE(provider.ok()) << provider.status();
  absl::StatusOr<std::shared_ptr<const AwsCredentials>> got = (*provider)->Get();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ((*got)->access_key_id, "AKID");
  EXPECT_EQ((*got)->secret_access_key, "secret");
  EXPECT_EQ((*got)->session_token, "token");
  EXPECT_FALSE((*got)->expiration.has_value());
}

TEST(CredentialsFromEnvironment, MisconfigurationsAreClearErrors) {
  const auto message = [](const std::map<std::string, std::string, std::less<>>& values) {
    absl::StatusOr<std::shared_ptr<CredentialsProvider>> provider =
        CredentialsFromEnvironment(Env(values));
    EXPECT_TRUE(absl::IsInvalidArgument(provider.status())) << provider.status();
    return std::string(provider.status().message());
  };
  EXPECT_THAT(message({{"AWS_ACCESS_KEY_ID", "AKID"}}),
              HasSubstr("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"));
  const std::string none = message({});
  EXPECT_THAT(none, HasSubstr("AWS_ACCESS_KEY_ID"));
  EXPECT_THAT(none, HasSubstr("AWS_CONTAINER_CREDENTIALS_FULL_URI"));
  EXPECT_THAT(message({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds"}}),
              HasSubstr("AWS_CONTAINER_CREDENTIALS_FULL_URI http://example.com/creds is not "
                        "allowed"));
}

TEST(CredentialsFromEnvironment, AContainerSourceIsNotAskedBeforeTheFirstSignature) {
  // Nothing listens on port 1: creating the provider must not fail, its first Get() does.
  absl::StatusOr<std::shared_ptr<CredentialsProvider>> provider = CredentialsFromEnvironment(
      Env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/creds"}}));
  ASSERT_TRUE(provider.ok()) << provider.status();
  absl::StatusOr<std::shared_ptr<const AwsCredentials>> got = (*provider)->Get();
  EXPECT_TRUE(absl::IsUnavailable(got.status())) << got.status();
  EXPECT_THAT(got.status().message(), HasSubstr("container credentials from "
                                                "http://127.0.0.1:1/creds"));
}

}  // namespace
}  // namespace lmc::durable
