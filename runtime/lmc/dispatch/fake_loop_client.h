// File: lmc/dispatch/fake_loop_client.h
//
// FakeLoopClient: a scripted LoopClient for unit tests of the poll loop and its supervisor (test
// code only; linked by lmc_dispatch_test). /next replies come from a script and then wait, as a
// long poll does, until Abort(); POSTs are recorded and answered from a script (202 when empty).
//
// Example:
//
//   auto client = std::make_unique<lmc::testing_fakes::FakeLoopClient>();
//   client->AddNext({absl::OkStatus(), 200, "req-1", "{}"});
//   lmc::PollLoop loop(0, std::move(client), settings, on_fatal);
#pragma once

#include <chrono>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "lmc/clock.h"
#include "lmc/dispatch/loop_client.h"
#include "lmc/mutex.h"

namespace lmc::testing_fakes {

// One scripted reply to GET /next.
struct NextReply {
  absl::Status status;
  int http_status = 200;
  std::string request_id;
  std::string body = "{}";
  // Lambda-Runtime-Deadline-Ms = now + timeout when the reply is served.
  std::chrono::milliseconds timeout = std::chrono::minutes(5);
};

// One POST the loop made.
struct Post {
  bool is_error = false;
  std::string request_id;
  std::string invocation_id;
  std::string content_type;
  std::string error_type;
  std::string body;
};

// FakeRuntimeApi
//
// The scripted Runtime API that any number of FakeLoopClients share. Thread-safe.
class FakeRuntimeApi {
 public:
  void AddNext(NextReply reply) {
    MutexLock lock(&mu_);
    nexts_.push_back(std::move(reply));
  }
  void AddPostReply(absl::StatusOr<int> reply) {
    MutexLock lock(&mu_);
    post_replies_.push_back(std::move(reply));
  }
  // Waits until `n` POSTs were made.
  bool AwaitPosts(size_t n) {
    MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return posts_.size() >= n; },
                                std::chrono::seconds(30));
  }
  // Waits until the script is used up and `n` clients are parked in Next().
  bool AwaitIdle(int n = 1) {
    MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(
        [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return nexts_.empty() && waiting_ >= n; },
        std::chrono::seconds(30));
  }
  std::vector<Post> posts() {
    MutexLock lock(&mu_);
    return posts_;
  }

 private:
  friend class FakeLoopClient;

  Mutex mu_;
  std::deque<NextReply> nexts_ ABSL_GUARDED_BY(mu_);
  std::deque<absl::StatusOr<int>> post_replies_ ABSL_GUARDED_BY(mu_);
  std::vector<Post> posts_ ABSL_GUARDED_BY(mu_);
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
};

// FakeLoopClient
//
// One loop's connection to a FakeRuntimeApi (which must outlive it).
class FakeLoopClient final : public LoopClient {
 public:
  explicit FakeLoopClient(FakeRuntimeApi& api) : api_(api) {}

  absl::Status Next(NextInvocation& out) override {
    MutexLock lock(&api_.mu_);
    ++api_.waiting_;
    api_.mu_.Await([&]()
                       ABSL_NO_THREAD_SAFETY_ANALYSIS { return aborted_ || !api_.nexts_.empty(); });
    --api_.waiting_;
    if (aborted_) return absl::CancelledError("aborted");
    NextReply reply = std::move(api_.nexts_.front());
    api_.nexts_.pop_front();
    out.Reset();
    out.http_status = reply.http_status;
    out.request_id = reply.request_id;
    out.invocation_id = "inv-" + reply.request_id;
    out.deadline_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          (Clock::Real().Now() + reply.timeout).time_since_epoch())
                          .count();
    out.has_deadline_header = true;
    out.content_type = "application/json";
    out.body.Append(reply.body.data(), reply.body.size());
    return reply.status;
  }
  absl::StatusOr<ApiReply> PostResponse(std::string_view request_id, std::string_view invocation_id,
                                        std::string_view content_type, std::string_view body,
                                        std::chrono::milliseconds /*timeout*/) override {
    return Record({false, std::string(request_id), std::string(invocation_id),
                   std::string(content_type), "", std::string(body)});
  }
  absl::StatusOr<ApiReply> PostError(std::string_view request_id, std::string_view invocation_id,
                                     std::string_view error_type, std::string_view error_json,
                                     std::chrono::milliseconds /*timeout*/) override {
    return Record({true, std::string(request_id), std::string(invocation_id), "",
                   std::string(error_type), std::string(error_json)});
  }
  void Abort() override {
    MutexLock lock(&api_.mu_);
    aborted_ = true;
  }

 private:
  absl::StatusOr<ApiReply> Record(Post post) {
    MutexLock lock(&api_.mu_);
    api_.posts_.push_back(std::move(post));
    absl::StatusOr<int> reply = 202;
    if (!api_.post_replies_.empty()) {
      reply = api_.post_replies_.front();
      api_.post_replies_.pop_front();
    }
    if (!reply.ok()) return reply.status();
    ApiReply out;
    out.status = *reply;
    return out;
  }

  FakeRuntimeApi& api_;
  bool aborted_ = false;  // guarded by api_.mu_
};

}  // namespace lmc::testing_fakes
