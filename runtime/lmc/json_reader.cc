#include "lmc/json_reader.h"

#include <cmath>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lmc/strings.h"

namespace lmc {

std::string JsonPath::ToString() const {
  std::vector<const JsonPath*> chain;
  for (const JsonPath* link = this; link != nullptr; link = link->parent) chain.push_back(link);
  std::string out;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    const JsonPath& link = **it;
    if (link.is_element) {
      absl::StrAppend(&out, "[", link.index, "]");
    } else if (!link.key.empty()) {
      if (!out.empty()) out.push_back('.');
      out.append(link.key);
    }
  }
  return out;
}

absl::Status JsonFields::ReadObject(simdjson::ondemand::object object, const JsonPath& path) {
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
      return json_internal::FieldError(path, "not valid JSON");
    }
    Binding* binding = nullptr;
    for (Binding& candidate : bindings_) {
      if (candidate.name == key) {
        binding = &candidate;
        break;
      }
    }
    // An undescribed field: simdjson skips its value when the loop moves on.
    if (binding == nullptr) continue;
    const JsonPath field_path{&path, binding->name, 0, false};
    if (binding->seen) return json_internal::FieldError(field_path, "appears more than once");
    binding->seen = true;
    simdjson::ondemand::value value;
    if (field.value().get(value) != simdjson::SUCCESS) {
      return json_internal::FieldError(field_path, "not valid JSON");
    }
    if (absl::Status status = binding->read(value, binding->out, field_path); !status.ok()) {
      return status;
    }
  }
  for (const Binding& binding : bindings_) {
    if (binding.required && !binding.seen) {
      return json_internal::FieldError(JsonPath{&path, binding.name, 0, false},
                                       "required but missing");
    }
  }
  return absl::OkStatus();
}

namespace json_internal {
namespace {

std::string_view Describe(simdjson::ondemand::json_type type) {
  switch (type) {
    case simdjson::ondemand::json_type::array:
      return "an array";
    case simdjson::ondemand::json_type::object:
      return "an object";
    case simdjson::ondemand::json_type::number:
      return "a number";
    case simdjson::ondemand::json_type::string:
      return "a string";
    case simdjson::ondemand::json_type::boolean:
      return "a boolean";
    case simdjson::ondemand::json_type::null:
      return "null";
  }
  return "an unknown value";
}

// Reads an integer of type Int (int64_t or uint64_t); a number that does not fit gets an error
// that says why.
template <typename Int>
absl::Status ReadInteger(simdjson::ondemand::value& value, Int& out, const JsonPath& path) {
  simdjson::error_code error;
  if constexpr (std::is_signed_v<Int>) {
    error = value.get_int64().get(out);
  } else {
    error = value.get_uint64().get(out);
  }
  if (error == simdjson::SUCCESS) return absl::OkStatus();
  simdjson::ondemand::json_type type;
  if (value.type().get(type) != simdjson::SUCCESS ||
      type != simdjson::ondemand::json_type::number) {
    return TypeError(value, path, "an integer");
  }
  // A failed scalar read does not consume the value, so it can be read again to explain.
  int64_t as_signed = 0;
  if (!std::is_signed_v<Int> && value.get_int64().get(as_signed) == simdjson::SUCCESS) {
    return FieldError(path, "expected a non-negative integer");
  }
  double as_double = 0;
  if (value.get_double().get(as_double) == simdjson::SUCCESS &&
      as_double != std::trunc(as_double)) {
    return FieldError(path, "expected an integer, got a fractional number");
  }
  if (std::fabs(as_double) < 9.2e18) {
    return FieldError(path, "expected an integer written without a fraction or exponent");
  }
  return FieldError(path, "integer out of range");
}

}  // namespace

absl::Status FieldError(const JsonPath& path, std::string_view what) {
  const std::string where = path.ToString();
  if (where.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("the document: ", AsAbsl(what)));
  }
  return absl::InvalidArgumentError(absl::StrCat("field \"", where, "\": ", AsAbsl(what)));
}

absl::Status TypeError(simdjson::ondemand::value& value, const JsonPath& path,
                       std::string_view expected) {
  simdjson::ondemand::json_type type;
  if (value.type().get(type) != simdjson::SUCCESS) return FieldError(path, "not valid JSON");
  return FieldError(path,
                    absl::StrCat("expected ", AsAbsl(expected), ", got ", AsAbsl(Describe(type))));
}

bool IsNull(simdjson::ondemand::value& value) {
  bool null = false;
  return value.is_null().get(null) == simdjson::SUCCESS && null;
}

absl::Status ReadValue(simdjson::ondemand::value value, bool& out, const JsonPath& path) {
  if (value.get_bool().get(out) == simdjson::SUCCESS) return absl::OkStatus();
  return TypeError(value, path, "a boolean");
}

absl::Status ReadValue(simdjson::ondemand::value value, int& out, const JsonPath& path) {
  int64_t wide = 0;
  if (absl::Status status = ReadInteger(value, wide, path); !status.ok()) return status;
  if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max()) {
    return FieldError(path, "integer out of range");
  }
  out = static_cast<int>(wide);
  return absl::OkStatus();
}

absl::Status ReadValue(simdjson::ondemand::value value, int64_t& out, const JsonPath& path) {
  return ReadInteger(value, out, path);
}

absl::Status ReadValue(simdjson::ondemand::value value, uint64_t& out, const JsonPath& path) {
  return ReadInteger(value, out, path);
}

absl::Status ReadValue(simdjson::ondemand::value value, double& out, const JsonPath& path) {
  if (value.get_double().get(out) == simdjson::SUCCESS) return absl::OkStatus();
  return TypeError(value, path, "a number");
}

absl::Status ReadValue(simdjson::ondemand::value value, std::string& out, const JsonPath& path) {
  std::string_view view;
  if (absl::Status status = ReadValue(value, view, path); !status.ok()) return status;
  out.assign(view);
  return absl::OkStatus();
}

absl::Status ReadValue(simdjson::ondemand::value value, std::string_view& out,
                       const JsonPath& path) {
  if (value.get_string().get(out) == simdjson::SUCCESS) return absl::OkStatus();
  return TypeError(value, path, "a string");
}

absl::Status ReadDocument(simdjson::simdjson_result<simdjson::ondemand::document>&& document,
                          JsonFields& fields) {
  const JsonPath root;
  simdjson::ondemand::document doc;
  if (std::move(document).get(doc) != simdjson::SUCCESS) return FieldError(root, "not valid JSON");
  simdjson::ondemand::object object;
  if (doc.get_object().get(object) != simdjson::SUCCESS) {
    simdjson::ondemand::json_type type;
    if (doc.type().get(type) != simdjson::SUCCESS) return FieldError(root, "not valid JSON");
    return FieldError(root, absl::StrCat("expected an object, got ", AsAbsl(Describe(type))));
  }
  if (absl::Status status = fields.ReadObject(object, root); !status.ok()) return status;
  // The object was read to its end; anything after it makes the document invalid.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return FieldError(root, "unexpected content after the object");
  }
  return absl::OkStatus();
}

}  // namespace json_internal
}  // namespace lmc
