#include "handlers/events/eventbridge_event.h"

#include "absl/strings/str_cat.h"
#include "handlers/events/json_walk.h"
#include "lmc/status_macros.h"
#include "lmc/strings.h"

namespace lmc::events {

using internal::Value;

bool EventBridgeEvent::IsScheduled() const {
  return source == "aws.events" && detail_type == "Scheduled Event";
}

absl::StatusOr<EventBridgeEvent> ParseEventBridgeEvent(const lmc::Event& event) {
  EventBridgeEvent out;
  LMC_RETURN_IF_ERROR(internal::ForEachTopLevelField(
      event, "EventBridge event", [&](std::string_view key, Value& field) {
        if (key == "version") return internal::ReadString(field, key, out.version);
        if (key == "id") return internal::ReadString(field, key, out.id);
        if (key == "detail-type") return internal::ReadString(field, key, out.detail_type);
        if (key == "source") return internal::ReadString(field, key, out.source);
        if (key == "account") return internal::ReadString(field, key, out.account);
        if (key == "time") return internal::ReadString(field, key, out.time);
        if (key == "region") return internal::ReadString(field, key, out.region);
        if (key == "resources") return internal::ReadStringArray(field, key, out.resources);
        if (key == "detail") return internal::ReadRaw(field, key, out.detail_json);
        return absl::OkStatus();
      }));
  for (auto [name, value] : {std::pair<std::string_view, std::string_view>{"id", out.id},
                             {"source", out.source},
                             {"detail-type", out.detail_type}}) {
    if (value.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("EventBridge event: no \"", AsAbsl(name), "\""));
    }
  }
  return out;
}

absl::StatusOr<EventBridgeEvent> ParseScheduledEvent(const lmc::Event& event) {
  LMC_ASSIGN_OR_RETURN(EventBridgeEvent out, ParseEventBridgeEvent(event));
  if (!out.IsScheduled()) {
    return absl::InvalidArgumentError(absl::StrCat("not a scheduled event: source \"",
                                                   AsAbsl(out.source), "\", detail-type \"",
                                                   AsAbsl(out.detail_type), "\""));
  }
  return out;
}

}  // namespace lmc::events
