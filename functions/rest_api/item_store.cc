#include "functions/rest_api/item_store.h"

#include <charconv>

namespace lmc::examples {

std::optional<uint64_t> ItemStore::ParseId(std::string_view id) {
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(id.data(), id.data() + id.size(), value);
  if (error != std::errc() || end != id.data() + id.size() || id.empty() || id[0] == '0') {
    return std::nullopt;
  }
  return value;
}

std::string ItemStore::Create(absl::FunctionRef<std::string(std::string_view id)> make) {
  MutexLock lock(&mu_);
  const uint64_t id = next_id_++;
  std::string item = make(std::to_string(id));
  items_.emplace(id, item);
  return item;
}

std::optional<std::string> ItemStore::Find(std::string_view id) const {
  const std::optional<uint64_t> key = ParseId(id);
  if (!key.has_value()) return std::nullopt;
  MutexLock lock(&mu_);
  const auto it = items_.find(*key);
  if (it == items_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> ItemStore::List() const {
  MutexLock lock(&mu_);
  std::vector<std::string> out;
  out.reserve(items_.size());
  for (const auto& [id, item] : items_) out.push_back(item);
  return out;
}

std::optional<std::string> ItemStore::Replace(
    std::string_view id, absl::FunctionRef<std::string(std::string_view id)> make) {
  const std::optional<uint64_t> key = ParseId(id);
  if (!key.has_value()) return std::nullopt;
  MutexLock lock(&mu_);
  const auto it = items_.find(*key);
  if (it == items_.end()) return std::nullopt;
  it->second = make(id);
  return it->second;
}

bool ItemStore::Erase(std::string_view id) {
  const std::optional<uint64_t> key = ParseId(id);
  if (!key.has_value()) return false;
  MutexLock lock(&mu_);
  return items_.erase(*key) > 0;
}

size_t ItemStore::size() const {
  MutexLock lock(&mu_);
  return items_.size();
}

}  // namespace lmc::examples
