#include "tools/emulator/internal/runtime_state.h"

#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace lmc::emulator::internal {
namespace {

// A fixed clock: every test controls time exactly.
const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

// Records a dispatch the way the server does after writing a /next reply.
DispatchResult DispatchOne(RuntimeState& state, std::string request_id, absl::Time at,
                           absl::Duration timeout = absl::Seconds(30),
                           std::optional<int> answer_status = std::nullopt,
                           std::string invocation_id = "") {
  InvocationRecord record;
  record.request_id = std::move(request_id);
  record.invocation_id = std::move(invocation_id);
  record.dispatched_at = at;
  record.deadline = at + timeout;
  const bool expect_invocation_id = !record.invocation_id.empty();
  return state.Dispatch(std::move(record), answer_status, expect_invocation_id, at);
}

Answer MakeAnswer(absl::Time received_at, std::string body = "{}",
                  Answer::Kind kind = Answer::Kind::kResponse) {
  Answer answer;
  answer.kind = kind;
  answer.body = std::move(body);
  answer.received_at = received_at;
  return answer;
}

TEST(RuntimeState, QueuedEventsGoOutInFifoOrder) {
  RuntimeState state({});
  state.Enqueue({.body = "first"});
  state.Enqueue({.body = "second"});
  EXPECT_EQ(state.stats().queued, 2u);
  NextDecision a = state.BeginNext(kT0, /*older_calls_parked=*/false);
  ASSERT_EQ(a.kind, NextDecision::Kind::kEvent);
  EXPECT_EQ(a.event->body, "first");
  a = state.BeginNext(kT0, false);
  ASSERT_EQ(a.kind, NextDecision::Kind::kEvent);
  EXPECT_EQ(a.event->body, "second");
  const Stats s = state.stats();
  EXPECT_EQ(s.next_calls, 2u);
  EXPECT_EQ(s.queued, 0u);
  EXPECT_EQ(s.first_next_at, kT0);
}

TEST(RuntimeState, NextWithNothingToHandOutParksAndCountsAsWaiting) {
  RuntimeState state({});
  EXPECT_EQ(state.BeginNext(kT0, false).kind, NextDecision::Kind::kPark);
  state.NextParked();
  EXPECT_EQ(state.stats().waiting_next, 1u);
  EXPECT_TRUE(state.WaitForWaitingNext(1, absl::ZeroDuration()));
  // Still nothing: the parked call stays parked.
  EXPECT_EQ(state.ServeOldestParked().kind, NextDecision::Kind::kPark);
  EXPECT_EQ(state.stats().waiting_next, 1u);
}

TEST(RuntimeState, OlderParkedCallsGetEventsBeforeANewCall) {
  RuntimeState state({});
  state.NextParked();  // an older call waits
  state.Enqueue({.body = "e"});
  // A new call must not overtake it, so it parks too.
  EXPECT_EQ(state.BeginNext(kT0, /*older_calls_parked=*/true).kind, NextDecision::Kind::kPark);
  const NextDecision served = state.ServeOldestParked();
  ASSERT_EQ(served.kind, NextDecision::Kind::kEvent);
  EXPECT_EQ(served.event->body, "e");
  EXPECT_EQ(state.stats().waiting_next, 0u);
}

TEST(RuntimeState, QueuedEventsGoOutBeforeGeneratedOnes) {
  RuntimeState state({});
  state.SetGenerator([](uint64_t i) { return EventSpec{.body = std::to_string(i)}; }, 2);
  state.Enqueue({.body = "queued"});
  EXPECT_EQ(state.stats().queued, 3u);  // the generator's remainder counts as queued
  EXPECT_EQ(state.BeginNext(kT0, false).kind, NextDecision::Kind::kEvent);
  for (uint64_t want = 0; want < 2; ++want) {
    const NextDecision a = state.BeginNext(kT0, false);
    ASSERT_EQ(a.kind, NextDecision::Kind::kGenerate);
    EXPECT_EQ(a.index, want);
    EXPECT_EQ((*a.generator)(a.index).body, std::to_string(want));
  }
  EXPECT_EQ(state.BeginNext(kT0, false).kind, NextDecision::Kind::kPark);
}

TEST(RuntimeState, SetGeneratorDropsTheRemainderOfThePreviousOne) {
  RuntimeState state({});
  state.SetGenerator([](uint64_t) { return EventSpec{.body = "old"}; }, 10);
  EXPECT_EQ(state.BeginNext(kT0, false).kind, NextDecision::Kind::kGenerate);
  state.SetGenerator([](uint64_t) { return EventSpec{.body = "new"}; }, 1);
  EXPECT_EQ(state.stats().queued, 1u);
  const NextDecision a = state.BeginNext(kT0, false);
  ASSERT_EQ(a.kind, NextDecision::Kind::kGenerate);
  EXPECT_EQ(a.index, 0u);
  EXPECT_EQ((*a.generator)(a.index).body, "new");
}

TEST(RuntimeState, NextFaultsAreTakenInOrderBeforeEvents) {
  RuntimeState state({});
  state.Enqueue({.body = "e"});
  state.InjectNextFaults({{.status = 503}, {.reset = true}});
  NextDecision a = state.BeginNext(kT0, false);
  ASSERT_EQ(a.kind, NextDecision::Kind::kFault);
  EXPECT_EQ(a.fault.status, 503);
  // A fault is taken even by a call that may not take an event yet.
  a = state.BeginNext(kT0, /*older_calls_parked=*/true);
  ASSERT_EQ(a.kind, NextDecision::Kind::kFault);
  EXPECT_TRUE(a.fault.reset);
  EXPECT_EQ(state.BeginNext(kT0, false).kind, NextDecision::Kind::kEvent);
  EXPECT_EQ(state.stats().faults_applied, 2u);
}

TEST(RuntimeState, ACallWhoseDelayRanOutTakesNoSecondFault) {
  RuntimeState state({});
  state.Enqueue({.body = "e"});
  state.InjectNextFaults({{.status = 500}});
  const NextDecision a = state.ContinueDelayedNext(/*older_calls_parked=*/false);
  EXPECT_EQ(a.kind, NextDecision::Kind::kEvent);
  EXPECT_EQ(state.stats().faults_applied, 0u);
  EXPECT_EQ(state.stats().next_calls, 0u);  // it was counted when it arrived
}

TEST(RuntimeState, AcceptedInitErrorForbidsEveryLaterNext) {
  RuntimeState state({});
  state.Enqueue({.body = "e"});
  state.InjectNextFaults({{.status = 500}});
  EXPECT_EQ(state.RecordInitError(MakeAnswer(kT0)), 202);
  state.BeginShutdown("spindown");
  EXPECT_EQ(state.BeginNext(kT0, false).kind, NextDecision::Kind::kForbidden);
  EXPECT_EQ(state.stats().faults_applied, 0u);  // the fault stays scripted
}

TEST(RuntimeState, OnlyTheFirstInitErrorWithinTheLimitIsAccepted) {
  RuntimeState state({.max_init_error_bytes = 4});
  EXPECT_EQ(state.RecordInitError(MakeAnswer(kT0, "too long")), 413);
  EXPECT_EQ(state.BeginNext(kT0, false).kind, NextDecision::Kind::kPark);  // not accepted
  EXPECT_EQ(state.RecordInitError(MakeAnswer(kT0, "ok")), 202);
  EXPECT_EQ(state.RecordInitError(MakeAnswer(kT0, "ok")), 403);
  const std::vector<Answer> posts = state.init_errors();
  ASSERT_EQ(posts.size(), 3u);
  EXPECT_EQ(posts[0].status_returned, 413);
  EXPECT_EQ(posts[1].status_returned, 202);
  EXPECT_EQ(posts[2].status_returned, 403);
  EXPECT_EQ(state.stats().init_errors, 3u);
  EXPECT_TRUE(state.WaitForInitError(absl::ZeroDuration()));
}

TEST(RuntimeState, ShutdownAnswersEveryNextAndKeepsTheFirstReason) {
  RuntimeState state({});
  state.Enqueue({.body = "e"});
  EXPECT_FALSE(state.shutdown_reason().has_value());
  state.BeginShutdown("spindown");
  state.BeginShutdown("timeout");
  EXPECT_EQ(state.shutdown_reason(), "spindown");
  EXPECT_EQ(state.BeginNext(kT0, false).kind, NextDecision::Kind::kShutdown);
  EXPECT_EQ(state.BeginNext(kT0, true).kind, NextDecision::Kind::kShutdown);
}

TEST(RuntimeState, AcceptedAnswerClosesTheInvocationAndCountsItsLatency) {
  RuntimeState state({});
  DispatchOne(state, "id", kT0);
  EXPECT_EQ(state.stats().in_flight, 1u);
  const AnswerOutcome out =
      state.RecordAnswer("id", MakeAnswer(kT0 + absl::Milliseconds(20)), std::nullopt);
  EXPECT_EQ(out.verdict.status, 202);
  EXPECT_FALSE(out.closed.has_value());  // copy_closed_records is off
  const Stats s = state.stats();
  EXPECT_EQ(s.responses, 1u);
  EXPECT_EQ(s.closed, 1u);
  EXPECT_EQ(s.in_flight, 0u);
  EXPECT_NEAR(s.latency_max_ms, 20.0, 0.01);
  EXPECT_EQ(s.last_close_at, kT0 + absl::Milliseconds(20));
  const std::optional<InvocationRecord> r = state.record("id");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->closed);
  ASSERT_EQ(r->answers.size(), 1u);
  EXPECT_EQ(r->answers[0].status_returned, 202);
}

TEST(RuntimeState, SecondAnswerForTheSameRequestIsRejected) {
  RuntimeState state({});
  DispatchOne(state, "id", kT0);
  state.RecordAnswer("id", MakeAnswer(kT0), std::nullopt);
  const AnswerOutcome out =
      state.RecordAnswer("id", MakeAnswer(kT0, "{}", Answer::Kind::kError), std::nullopt);
  EXPECT_EQ(out.verdict.status, 400);
  EXPECT_TRUE(out.verdict.duplicate);
  const Stats s = state.stats();
  EXPECT_EQ(s.duplicate_answers, 1u);
  EXPECT_EQ(s.rejected_posts, 1u);
  EXPECT_EQ(s.errors, 0u);
  EXPECT_EQ(s.closed, 1u);
  EXPECT_EQ(state.record("id")->answers.size(), 2u);  // the duplicate is recorded too
}

TEST(RuntimeState, AnswerForAnUnknownRequestIdIsCountedButNotStored) {
  RuntimeState state({});
  const AnswerOutcome out = state.RecordAnswer("nobody", MakeAnswer(kT0), std::nullopt);
  EXPECT_EQ(out.verdict.status, 400);
  EXPECT_TRUE(out.verdict.unknown_request);
  EXPECT_EQ(state.stats().unknown_request_posts, 1u);
  EXPECT_FALSE(state.record("nobody").has_value());
  EXPECT_TRUE(state.records(SIZE_MAX).empty());
}

TEST(RuntimeState, AnswerCarryingAnotherAttemptsInvocationIdLeavesItOpen) {
  RuntimeState state({});
  DispatchOne(state, "id", kT0, absl::Seconds(30), std::nullopt, "nonce-2");
  Answer stale = MakeAnswer(kT0);
  stale.headers = {{"lambda-runtime-invocation-id", "nonce-1"}};
  EXPECT_EQ(state.RecordAnswer("id", std::move(stale), std::nullopt).verdict.status, 400);
  EXPECT_FALSE(state.record("id")->closed);
  Answer current = MakeAnswer(kT0);
  current.headers = {{"lambda-runtime-invocation-id", "nonce-2"}};
  EXPECT_EQ(state.RecordAnswer("id", std::move(current), std::nullopt).verdict.status, 202);
  EXPECT_TRUE(state.record("id")->closed);
}

TEST(RuntimeState, LateAnswerIsGoneOnlyWhenDeadlinesAreEnforced) {
  for (const bool enforce : {false, true}) {
    RuntimeState state({.enforce_deadlines = enforce});
    DispatchOne(state, "id", kT0, absl::Seconds(1));
    const AnswerOutcome out =
        state.RecordAnswer("id", MakeAnswer(kT0 + absl::Seconds(2)), std::nullopt);
    EXPECT_EQ(out.verdict.status, enforce ? 410 : 202);
    EXPECT_TRUE(state.record("id")->closed);
  }
}

TEST(RuntimeState, OversizedResponseIsRejectedAndAnErrorMayFollow) {
  RuntimeState state({.answer_limits = {.response = 4, .streamed_response = 8, .error = 16}});
  DispatchOne(state, "id", kT0);
  EXPECT_EQ(state.RecordAnswer("id", MakeAnswer(kT0, "12345"), std::nullopt).verdict.status, 413);
  EXPECT_FALSE(state.record("id")->closed);
  const AnswerOutcome error = state.RecordAnswer(
      "id", MakeAnswer(kT0, "payload too big", Answer::Kind::kError), std::nullopt);
  EXPECT_EQ(error.verdict.status, 202);
  EXPECT_EQ(state.stats().errors, 1u);
  EXPECT_TRUE(state.record("id")->closed);
}

TEST(RuntimeState, ForcedAnswerStatusFollowsTheClosingRule) {
  RuntimeState state({});
  DispatchOne(state, "open", kT0, absl::Seconds(30), /*answer_status=*/500);
  DispatchOne(state, "gone", kT0, absl::Seconds(30), /*answer_status=*/410);
  EXPECT_EQ(state.RecordAnswer("open", MakeAnswer(kT0), std::nullopt).verdict.status, 500);
  EXPECT_EQ(state.RecordAnswer("gone", MakeAnswer(kT0), std::nullopt).verdict.status, 410);
  EXPECT_FALSE(state.record("open")->closed);
  EXPECT_TRUE(state.record("gone")->closed);
}

TEST(RuntimeState, PostFaultsAreTakenInOrderAndAResetIsRecordedAsStatusZero) {
  RuntimeState state({});
  EXPECT_FALSE(state.TakePostFault().has_value());
  state.InjectPostFaults({{.reset = true}, {.status = 502}});
  DispatchOne(state, "id", kT0);
  const std::optional<PostFault> reset = state.TakePostFault();
  ASSERT_TRUE(reset.has_value());
  EXPECT_EQ(state.RecordAnswer("id", MakeAnswer(kT0), reset).verdict.status, 0);
  const std::optional<PostFault> status = state.TakePostFault();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(state.RecordAnswer("id", MakeAnswer(kT0), status).verdict.status, 502);
  const InvocationRecord r = *state.record("id");
  EXPECT_FALSE(r.closed);
  ASSERT_EQ(r.answers.size(), 2u);
  EXPECT_EQ(r.answers[0].status_returned, 0);
  EXPECT_EQ(state.stats().faults_applied, 2u);
  EXPECT_EQ(state.stats().rejected_posts, 2u);
}

TEST(RuntimeState, ReusingAnOpenRequestIdSupersedesTheOldAttempt) {
  RuntimeState state({.copy_closed_records = true});
  const DispatchResult first = DispatchOne(state, "id", kT0);
  const DispatchResult second = DispatchOne(state, "id", kT0 + absl::Seconds(1));
  EXPECT_LT(first.serial, second.serial);
  ASSERT_TRUE(second.superseded.has_value());
  EXPECT_TRUE(second.superseded->superseded);
  EXPECT_TRUE(second.superseded->answers.empty());
  const Stats s = state.stats();
  EXPECT_EQ(s.closed, 1u);
  EXPECT_EQ(s.in_flight, 1u);
  EXPECT_EQ(s.latency_max_ms, 0.0);  // superseding is no answer: no latency
  // Answers now go to the new attempt.
  const AnswerOutcome out = state.RecordAnswer("id", MakeAnswer(kT0), std::nullopt);
  EXPECT_EQ(out.verdict.status, 202);
  ASSERT_TRUE(out.closed.has_value());
  EXPECT_FALSE(out.closed->superseded);
  EXPECT_EQ(state.records(SIZE_MAX).size(), 2u);
}

TEST(RuntimeState, WithoutKeptRecordsClosedInvocationsAreForgotten) {
  RuntimeState state({.keep_records = false});
  DispatchOne(state, "a", kT0);
  DispatchOne(state, "b", kT0);
  DispatchOne(state, "c", kT0);
  state.RecordAnswer("b", MakeAnswer(kT0), std::nullopt);
  std::vector<InvocationRecord> open = state.records(SIZE_MAX);
  ASSERT_EQ(open.size(), 2u);
  EXPECT_EQ(open[0].request_id, "a");  // dispatch order
  EXPECT_EQ(open[1].request_id, "c");
  EXPECT_EQ(state.records(1).size(), 1u);
  // A later answer for the forgotten id counts as unknown, not duplicate.
  EXPECT_TRUE(state.RecordAnswer("b", MakeAnswer(kT0), std::nullopt).verdict.unknown_request);
  EXPECT_EQ(state.stats().duplicate_answers, 0u);
}

TEST(RuntimeState, DeliveryRefinesTheDispatchTimeOfThatAttemptOnly) {
  RuntimeState state({});
  const DispatchResult old_attempt = DispatchOne(state, "id", kT0);
  DispatchOne(state, "id", kT0 + absl::Seconds(1));
  const DeliveryMark stale{.reply_end = 10, .serial = old_attempt.serial, .request_id = "id"};
  state.MarkDelivered({&stale, 1}, kT0 + absl::Seconds(5));
  EXPECT_EQ(state.record("id")->dispatched_at, kT0 + absl::Seconds(1));
  EXPECT_EQ(state.stats().delivered, 1u);
}

TEST(RuntimeState, OutstandingPeakCountsWaitingAndInFlightTogether) {
  RuntimeState state({});
  state.NextParked();
  state.NextParked();
  DispatchOne(state, "a", kT0);  // as if a third worker got an event
  Stats s = state.stats();
  EXPECT_EQ(s.max_waiting_next, 2u);
  EXPECT_EQ(s.max_in_flight, 1u);
  EXPECT_EQ(s.max_outstanding, 3u);
  state.ConnectionOpened();
  state.ConnectionOpened();
  state.ConnectionClosed(/*was_parked_next=*/true);
  s = state.stats();
  EXPECT_EQ(s.waiting_next, 1u);
  EXPECT_EQ(s.connections, 1u);
  EXPECT_EQ(s.max_connections, 2u);
}

TEST(RuntimeState, StreamedClosingAnswerFeedsTimeToFirstByte) {
  RuntimeState state({});
  DispatchOne(state, "id", kT0);
  state.CountChunks(2);
  Answer answer = MakeAnswer(kT0 + absl::Milliseconds(50), "hello");
  answer.chunked = true;
  answer.chunks = {{.size = 2, .arrived_at = kT0 + absl::Milliseconds(10)},
                   {.size = 3, .arrived_at = kT0 + absl::Milliseconds(40)}};
  EXPECT_EQ(state.RecordAnswer("id", std::move(answer), std::nullopt).verdict.status, 202);
  const Stats s = state.stats();
  EXPECT_EQ(s.chunks_received, 2u);
  EXPECT_EQ(s.streamed_answers, 1u);
  EXPECT_EQ(s.streamed_bytes, 5u);
  EXPECT_NEAR(s.first_byte_p50_ms, 10.0, 0.05);
  EXPECT_NEAR(s.latency_max_ms, 50.0, 0.01);
}

TEST(RuntimeState, ExtensionsAreKnownByIdentifierWithTheirShutdownInterest) {
  RuntimeState state({});
  state.AddExtension({.name = "a", .events = {"SHUTDOWN"}, .identifier = "id-a"});
  state.AddExtension({.name = "b", .events = {"INVOKE"}, .identifier = "id-b"});
  EXPECT_EQ(state.stats().extension_registrations, 2u);
  EXPECT_FALSE(state.BeginExtensionNext(kT0, nullptr).known);
  const std::string unknown = "id-c";
  EXPECT_FALSE(state.BeginExtensionNext(kT0, &unknown).known);
  const std::string a = "id-a";
  state.BeginShutdown("timeout");
  const ExtensionNextFacts facts = state.BeginExtensionNext(kT0 + absl::Seconds(1), &a);
  EXPECT_TRUE(facts.known);
  EXPECT_TRUE(facts.wants_shutdown);
  EXPECT_TRUE(facts.shutting_down);
  EXPECT_EQ(facts.reason, "timeout");
  EXPECT_FALSE(state.ExtensionWantsShutdown("id-b"));
  EXPECT_EQ(state.stats().extension_next_calls, 3u);
  EXPECT_EQ(state.stats().last_extension_next_at, kT0 + absl::Seconds(1));  // known ones only
  EXPECT_EQ(state.extensions().size(), 2u);
}

TEST(RuntimeState, ExtensionRegistrationClosesAtTheFirstNext) {
  RuntimeState state({});
  EXPECT_TRUE(state.AddExtension({.name = "early", .identifier = "id-early"}));
  state.BeginNext(kT0, /*older_calls_parked=*/false);
  EXPECT_FALSE(state.AddExtension({.name = "late", .identifier = "id-late"}));
  EXPECT_EQ(state.stats().extension_registrations, 1u);
  ASSERT_EQ(state.extensions().size(), 1u);
  EXPECT_EQ(state.extensions()[0].name, "early");
}

TEST(RuntimeState, WaitForClosedWakesWhenAnotherThreadClosesAnInvocation) {
  RuntimeState state({});
  DispatchOne(state, "id", kT0);
  EXPECT_FALSE(state.WaitForClosed(1, absl::ZeroDuration()));
  std::thread answerer([&state] { state.RecordAnswer("id", MakeAnswer(kT0), std::nullopt); });
  EXPECT_TRUE(state.WaitForClosed(1, absl::Seconds(30)));
  answerer.join();
  EXPECT_TRUE(state.WaitFor([](const Stats& s) { return s.responses == 1; }, absl::Seconds(1)));
}

}  // namespace
}  // namespace lmc::emulator::internal
