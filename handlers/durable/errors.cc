#include "handlers/durable/errors.h"

#include <cxxabi.h>

#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <typeinfo>

namespace lmc::durable {
namespace {

// The readable C++ name of the dynamic type of `e` ("std::runtime_error").
std::string TypeName(const std::exception& e) {
  const char* mangled = typeid(e).name();
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  return status == 0 && demangled ? std::string(demangled.get()) : std::string(mangled);
}

}  // namespace

ErrorObject ErrorFromException(const std::exception_ptr& exception) {
  ErrorObject error;
  try {
    std::rethrow_exception(exception);
  } catch (const OperationError& e) {
    error = e.error();
  } catch (const Failure& e) {
    error.type = e.type();
    error.message = e.what();
    error.data = e.data();
  } catch (const std::exception& e) {
    error.type = TypeName(e);
    error.message = e.what();
  } catch (...) {
    error.type = "Unknown";
    error.message = "a non-standard exception was thrown";
  }
  return error;
}

}  // namespace lmc::durable
