#include "lmc/registry.h"

#include "absl/strings/str_cat.h"

namespace lmc {

absl::Status HandlerRegistry::Register(std::string name, Handler handler, InitHook init) {
  if (name.empty()) return absl::InvalidArgumentError("a handler name must not be empty");
  if (!handler) {
    return absl::InvalidArgumentError(absl::StrCat("handler \"", name, "\" is empty"));
  }
  if (handlers_.contains(name)) {
    return absl::AlreadyExistsError(
        absl::StrCat("a handler named \"", name, "\" is already registered"));
  }
  RegisteredHandler entry{name, std::move(handler), std::move(init)};
  handlers_.emplace(std::move(name), std::move(entry));
  return absl::OkStatus();
}

const RegisteredHandler* HandlerRegistry::Find(std::string_view name) const {
  auto it = handlers_.find(name);
  return it == handlers_.end() ? nullptr : &it->second;
}

std::vector<std::string> HandlerRegistry::Names() const {
  std::vector<std::string> names;
  names.reserve(handlers_.size());
  for (const auto& [name, entry] : handlers_) names.push_back(name);
  return names;
}

}  // namespace lmc
