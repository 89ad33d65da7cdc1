#include "lmc/internal/call_handler.h"

#include <cxxabi.h>

#include <cstdlib>
#include <exception>
#include <string>
#include <typeinfo>

namespace lmc::internal {

std::string DemangledTypeName(const std::type_info& type) {
  int status = 0;
  char* name = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  std::string out = (status == 0 && name != nullptr) ? name : type.name();
  std::free(name);  // NOLINT: __cxa_demangle allocates with malloc.
  return out;
}

Result CallHandler(const Handler& handler, const Event& event, const Context& context) {
  try {
    return handler(event, context);
  } catch (const std::exception& e) {
    return Error(DemangledTypeName(typeid(e)), e.what());
  } catch (...) {
    return Error("UnknownException", "the handler threw a value that is not a std::exception");
  }
}

}  // namespace lmc::internal
