#include "handlers/durable/internal/execution.h"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lmc/mutex.h"
#include "lmc/status_macros.h"
#include "lmc/strings.h"

namespace lmc::durable::internal {

Execution::Execution(std::string durable_execution_arn, std::string checkpoint_token,
                     CheckpointService& service, const CheckpointOptions& options,
                     const Clock& clock, const Logger& logger)
    : arn_(durable_execution_arn),
      clock_(clock),
      logger_(logger),
      checkpointer_(service, std::move(durable_execution_arn), std::move(checkpoint_token), options,
                    [this](std::vector<Operation> operations) { Apply(std::move(operations)); }) {}

absl::Status Execution::Load(std::vector<Operation>&& operations, std::string next_marker) {
  {
    MutexLock lock(&mu_);
    for (Operation& op : operations) {
      const std::string id = op.id;
      if (!operations_.emplace(id, std::move(op)).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("malformed operation log: operation id \"", id, "\" appears twice"));
      }
    }
  }
  LMC_RETURN_IF_ERROR(checkpointer_.LoadPages(std::move(next_marker)));
  MutexLock lock(&mu_);
  for (const auto& [id, op] : operations_) {
    if (op.type == OperationType::kExecution) return absl::OkStatus();
  }
  return absl::InvalidArgumentError("malformed operation log: it has no EXECUTION operation");
}

std::optional<Operation> Execution::Find(std::string_view id) const {
  MutexLock lock(&mu_);
  auto it = operations_.find(AsAbsl(id));
  if (it == operations_.end()) return std::nullopt;
  return it->second;
}

bool Execution::Has(std::string_view id) const {
  MutexLock lock(&mu_);
  return operations_.contains(AsAbsl(id));
}

size_t Execution::size() const {
  MutexLock lock(&mu_);
  return operations_.size();
}

std::string Execution::input_payload() const {
  MutexLock lock(&mu_);
  for (const auto& [id, op] : operations_) {
    if (op.type == OperationType::kExecution) return op.input_payload.value_or("");
  }
  return "";
}

void Execution::Fail(FatalError error) {
  MutexLock lock(&mu_);
  if (!fatal_.has_value()) fatal_ = std::move(error);
}

std::optional<FatalError> Execution::fatal() const {
  MutexLock lock(&mu_);
  return fatal_;
}

void Execution::Apply(std::vector<Operation> operations) {
  MutexLock lock(&mu_);
  for (Operation& op : operations) {
    std::string id = op.id;
    operations_.insert_or_assign(std::move(id), std::move(op));
  }
}

}  // namespace lmc::durable::internal
