// An example handler plugin (lmc/plugin.h): two handlers in a shared library that the layer's
// /opt/bootstrap (or any lmc bootstrap) loads with _HANDLER=libhello_plugin.so:hello.
//
//   hello    returns {"hello":"plugin","request_id":...}
//   reverse  returns the event's bytes in reverse order, with the event's content type
#include <string>

#include "absl/strings/str_cat.h"
#include "lmc/json.h"
#include "lmc/plugin.h"

namespace {

lmc::Result Hello(const lmc::Event& /*event*/, const lmc::Context& context) {
  context.logger().Info("hello from a plugin");
  return lmc::Response::Json(absl::StrCat(R"({"hello":"plugin","request_id":)",
                                          lmc::JsonQuote(context.request_id()), "}"));
}

lmc::Result Reverse(const lmc::Event& event, const lmc::Context& /*context*/) {
  std::string reversed(event.bytes().rbegin(), event.bytes().rend());
  return lmc::Response(std::move(reversed), std::string(event.content_type()));
}

absl::Status RegisterHandlers(lmc::HandlerRegistry& handlers) {
  if (absl::Status status = handlers.Register("hello", Hello); !status.ok()) return status;
  return handlers.Register("reverse", Reverse);
}

}  // namespace

LMC_PLUGIN(RegisterHandlers);
