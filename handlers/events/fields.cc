#include "handlers/events/fields.h"

#include "lmc/strings.h"

namespace lmc::events {

std::optional<std::string_view> Fields::Get(std::string_view name) const {
  for (const Entry& entry : entries_) {
    if (entry.first == name) return entry.second;
  }
  return std::nullopt;
}

std::optional<std::string_view> Fields::GetIgnoreCase(std::string_view name) const {
  for (const Entry& entry : entries_) {
    if (EqualsIgnoreCase(entry.first, name)) return entry.second;
  }
  return std::nullopt;
}

std::vector<std::string_view> Fields::GetAll(std::string_view name, bool ignore_case) const {
  std::vector<std::string_view> out;
  for (const Entry& entry : entries_) {
    if (ignore_case ? EqualsIgnoreCase(entry.first, name) : entry.first == name) {
      out.push_back(entry.second);
    }
  }
  return out;
}

}  // namespace lmc::events
