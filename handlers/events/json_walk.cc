#include "handlers/events/json_walk.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "lmc/strings.h"

namespace lmc::events::internal {
namespace {

using simdjson::SUCCESS;
using simdjson::ondemand::json_type;

// The value's type, or an error naming `what` when the JSON is broken there.
absl::Status TypeOf(Value& value, std::string_view what, json_type& type) {
  if (value.type().get(type) != SUCCESS) return FieldError(what, "invalid JSON");
  return absl::OkStatus();
}

absl::Status WrongType(std::string_view what, std::string_view want) {
  return FieldError(what, absl::StrCat("must be ", AsAbsl(want)));
}

}  // namespace

absl::Status FieldError(std::string_view what, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(AsAbsl(what), ": ", AsAbsl(why)));
}

absl::Status Annotate(const absl::Status& status, std::string_view prefix) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(AsAbsl(prefix), ": ", status.message()));
}

absl::Status ForEachTopLevelField(const lmc::Event& event, std::string_view source, FieldFn fn) {
  simdjson::ondemand::document doc;
  simdjson::ondemand::object object;
  if (event.Json().get(doc) != SUCCESS || doc.get_object().get(object) != SUCCESS) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(source), ": the event is not a JSON object"));
  }
  for (auto field : object) {
    std::string_view key;
    Value value;
    if (field.unescaped_key().get(key) != SUCCESS || field.value().get(value) != SUCCESS) {
      return absl::InvalidArgumentError(
          absl::StrCat(AsAbsl(source), ": the event is not valid JSON"));
    }
    if (absl::Status status = fn(key, value); !status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status ForEachRecord(const lmc::Event& event, std::string_view source,
                           absl::FunctionRef<absl::Status(Value& record)> fn) {
  bool has_records = false;
  absl::Status status =
      ForEachTopLevelField(event, source, [&](std::string_view key, Value& value) {
        if (key != "Records") return absl::OkStatus();
        has_records = true;
        return Annotate(
            ForEachElement(value, "Records", [&](size_t, Value& record) { return fn(record); }),
            source);
      });
  if (!status.ok()) return status;
  if (!has_records) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(source), ": no Records array"));
  }
  return absl::OkStatus();
}

absl::Status ForEachField(Value& value, std::string_view what, FieldFn fn) {
  json_type type = json_type::null;
  if (absl::Status status = TypeOf(value, what, type); !status.ok()) return status;
  if (type == json_type::null) return absl::OkStatus();
  simdjson::ondemand::object object;
  if (type != json_type::object || value.get_object().get(object) != SUCCESS) {
    return WrongType(what, "an object");
  }
  for (auto field : object) {
    std::string_view key;
    Value member;
    if (field.unescaped_key().get(key) != SUCCESS || field.value().get(member) != SUCCESS) {
      return FieldError(what, "invalid JSON");
    }
    if (absl::Status status = fn(key, member); !status.ok()) return Annotate(status, what);
  }
  return absl::OkStatus();
}

absl::Status ForEachElement(Value& value, std::string_view what,
                            absl::FunctionRef<absl::Status(size_t index, Value& element)> fn) {
  json_type type = json_type::null;
  if (absl::Status status = TypeOf(value, what, type); !status.ok()) return status;
  if (type == json_type::null) return absl::OkStatus();
  simdjson::ondemand::array array;
  if (type != json_type::array || value.get_array().get(array) != SUCCESS) {
    return WrongType(what, "an array");
  }
  size_t index = 0;
  for (auto item : array) {
    Value element;
    if (item.get(element) != SUCCESS) return FieldError(what, "invalid JSON");
    if (absl::Status status = fn(index, element); !status.ok()) {
      return Annotate(status, absl::StrCat(AsAbsl(what), "[", index, "]"));
    }
    ++index;
  }
  return absl::OkStatus();
}

bool IsNull(Value& value) {
  json_type type = json_type::null;
  return value.type().get(type) == SUCCESS && type == json_type::null;
}

absl::Status ReadString(Value& value, std::string_view what, std::string_view& out) {
  json_type type = json_type::null;
  if (absl::Status status = TypeOf(value, what, type); !status.ok()) return status;
  if (type == json_type::null) return absl::OkStatus();
  if (type != json_type::string || value.get_string().get(out) != SUCCESS) {
    return WrongType(what, "a string");
  }
  return absl::OkStatus();
}

absl::Status ReadBool(Value& value, std::string_view what, bool& out) {
  json_type type = json_type::null;
  if (absl::Status status = TypeOf(value, what, type); !status.ok()) return status;
  if (type == json_type::null) return absl::OkStatus();
  if (type != json_type::boolean || value.get_bool().get(out) != SUCCESS) {
    return WrongType(what, "true or false");
  }
  return absl::OkStatus();
}

absl::Status ReadInt64(Value& value, std::string_view what, int64_t& out) {
  json_type type = json_type::null;
  if (absl::Status status = TypeOf(value, what, type); !status.ok()) return status;
  if (type == json_type::null) return absl::OkStatus();
  if (type != json_type::number || value.get_int64().get(out) != SUCCESS) {
    return WrongType(what, "an integer");
  }
  return absl::OkStatus();
}

absl::Status ReadDouble(Value& value, std::string_view what, double& out) {
  json_type type = json_type::null;
  if (absl::Status status = TypeOf(value, what, type); !status.ok()) return status;
  if (type == json_type::null) return absl::OkStatus();
  if (type != json_type::number || value.get_double().get(out) != SUCCESS) {
    return WrongType(what, "a number");
  }
  return absl::OkStatus();
}

absl::Status ReadRaw(Value& value, std::string_view what, std::string_view& out) {
  json_type type = json_type::null;
  if (absl::Status status = TypeOf(value, what, type); !status.ok()) return status;
  simdjson::error_code error = SUCCESS;
  if (type == json_type::object) {
    simdjson::ondemand::object object;
    error = value.get_object().get(object);
    if (error == SUCCESS) error = object.raw_json().get(out);
  } else if (type == json_type::array) {
    simdjson::ondemand::array array;
    error = value.get_array().get(array);
    if (error == SUCCESS) error = array.raw_json().get(out);
  } else {
    // A scalar's token runs up to the next structural character, whitespace included.
    out = value.raw_json_token();
  }
  if (error != SUCCESS) return FieldError(what, "invalid JSON");
  // Containers' raw text runs up to the next token, so it may end in whitespace.
  out = StripAsciiWhitespace(out);
  return absl::OkStatus();
}

absl::Status ReadStringMap(Value& value, std::string_view what, Fields& out) {
  return ForEachField(value, what, [&](std::string_view key, Value& member) {
    json_type type = json_type::null;
    if (absl::Status status = TypeOf(member, key, type); !status.ok()) return status;
    if (type == json_type::null) return absl::OkStatus();
    std::string_view text;
    if (absl::Status status = ReadString(member, key, text); !status.ok()) return status;
    out.Add(key, text);
    return absl::OkStatus();
  });
}

absl::Status ReadMultiMap(Value& value, std::string_view what, Fields& out) {
  return ForEachField(value, what, [&](std::string_view key, Value& member) {
    return ForEachElement(member, key, [&](size_t, Value& element) {
      std::string_view text;
      if (absl::Status status = ReadString(element, "value", text); !status.ok()) return status;
      out.Add(key, text);
      return absl::OkStatus();
    });
  });
}

absl::Status ReadStringArray(Value& value, std::string_view what,
                             std::vector<std::string_view>& out) {
  return ForEachElement(value, what, [&](size_t, Value& element) {
    std::string_view text;
    if (absl::Status status = ReadString(element, "element", text); !status.ok()) return status;
    out.push_back(text);
    return absl::OkStatus();
  });
}

absl::Status ExpectSource(std::string_view got, std::string_view want) {
  if (got == want) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("eventSource is \"", AsAbsl(got), "\", expected \"", AsAbsl(want), "\""));
}

absl::Status DecodeBase64(std::string_view encoded, std::string_view what, std::string& out) {
  out.clear();
  if (!absl::Base64Unescape(AsAbsl(encoded), &out)) return FieldError(what, "invalid base64");
  return absl::OkStatus();
}

}  // namespace lmc::events::internal
