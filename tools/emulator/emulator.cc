// The public API of lmc::emulator::Emulator (emulator.h): every call forwards to Emulator::Impl
// (internal/emulator_impl.h). Calls that change what the server thread should do next (an event
// for a parked /next, a fault, shutdown) wake it.

#include "tools/emulator/emulator.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "tools/emulator/internal/emulator_impl.h"
#include "tools/emulator/internal/http_request_parser.h"

namespace lmc::emulator {

const std::string* Answer::FindHeader(std::string_view lower_name) const {
  return internal::FindField(headers, lower_name);
}

Emulator::Emulator(EmulatorOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Emulator::~Emulator() = default;
absl::Status Emulator::Start() { return impl_->Start(); }
int Emulator::port() const { return impl_->port(); }
std::string Emulator::address() const { return absl::StrCat("127.0.0.1:", impl_->port()); }

void Emulator::Enqueue(EventSpec event) {
  impl_->state().Enqueue(std::move(event));
  impl_->Wake();
}

void Emulator::SetGenerator(std::function<EventSpec(uint64_t)> make, uint64_t count) {
  impl_->state().SetGenerator(std::move(make), count);
  impl_->Wake();
}

void Emulator::InjectNextFaults(std::vector<NextFault> faults) {
  impl_->state().InjectNextFaults(std::move(faults));
  impl_->Wake();  // a parked call takes the first one
}

// No wake-up: PostFaults are taken by POSTs as they arrive.
void Emulator::InjectPostFaults(std::vector<PostFault> faults) {
  impl_->state().InjectPostFaults(std::move(faults));
}

void Emulator::BeginShutdown(std::string reason) {
  impl_->state().BeginShutdown(std::move(reason));
  impl_->Wake();
}

Stats Emulator::stats() const { return impl_->state().stats(); }
std::vector<InvocationRecord> Emulator::records(size_t limit) const {
  return impl_->state().records(limit);
}
std::optional<InvocationRecord> Emulator::record(std::string_view request_id) const {
  return impl_->state().record(request_id);
}
std::vector<Answer> Emulator::init_errors() const { return impl_->state().init_errors(); }
std::vector<ExtensionRegistration> Emulator::extensions() const {
  return impl_->state().extensions();
}

bool Emulator::WaitForClosed(uint64_t n, absl::Duration timeout) {
  return impl_->state().WaitForClosed(n, timeout);
}
bool Emulator::WaitForWaitingNext(size_t n, absl::Duration timeout) {
  return impl_->state().WaitForWaitingNext(n, timeout);
}
bool Emulator::WaitForInitError(absl::Duration timeout) {
  return impl_->state().WaitForInitError(timeout);
}
bool Emulator::WaitFor(const std::function<bool(const Stats&)>& predicate, absl::Duration timeout) {
  return impl_->state().WaitFor(predicate, timeout);
}
void Emulator::NotifyWaiters() { impl_->state().NotifyWaiters(); }

}  // namespace lmc::emulator
