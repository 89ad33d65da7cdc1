#include "lmc/plugin_loader.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>

#include <exception>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lmc/plugin.h"

namespace lmc {
namespace {

// The suffixes that make the part before the colon a shared library: "x.so" or "x.so.1.2".
bool NamesSharedLibrary(std::string_view file) {
  const size_t so = file.rfind(".so");
  if (so == std::string_view::npos || so == 0) return false;
  const std::string_view rest = file.substr(so + 3);
  if (rest.empty()) return true;
  if (rest.front() != '.') return false;
  for (char c : rest) {
    if (c != '.' && (c < '0' || c > '9')) return false;
  }
  return true;
}

std::string HexVersion(uint32_t version) { return absl::StrCat("0x", absl::Hex(version)); }

// Whether the main program has a program interpreter (PT_INTERP): a statically linked executable
// has none. There, glibc's dlopen() would bring a second C library and C++ runtime into the
// process, and the plugin could not resolve lmc's symbols (a static executable exports none):
// the load fails or hangs, so Load() refuses it first. dl_iterate_phdr visits the main program
// first; its answer alone decides.
bool MainProgramIsDynamic() {
  bool has_interpreter = false;
  ::dl_iterate_phdr(
      [](dl_phdr_info* info, size_t /*size*/, void* data) -> int {
        for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
          if (info->dlpi_phdr[i].p_type == PT_INTERP) *static_cast<bool*>(data) = true;
        }
        return 1;
      },
      &has_interpreter);
  return has_interpreter;
}

}  // namespace

std::optional<PluginHandlerName> ParsePluginHandler(std::string_view handler_setting) {
  const size_t colon = handler_setting.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view file = handler_setting.substr(0, colon);
  const std::string_view handler = handler_setting.substr(colon + 1);
  if (handler.empty() || !NamesSharedLibrary(file)) return std::nullopt;
  return PluginHandlerName{std::string(file), std::string(handler)};
}

bool IsPluginHandler(std::string_view handler_setting) {
  return ParsePluginHandler(handler_setting).has_value();
}

std::variant<std::unique_ptr<Plugin>, Error> Plugin::Load(std::string_view handler_setting,
                                                          const std::filesystem::path& task_root) {
  const std::optional<PluginHandlerName> name = ParsePluginHandler(handler_setting);
  if (!name.has_value()) {
    return Error("Runtime.NoSuchHandler", absl::StrCat("\"", std::string(handler_setting),
                                                       "\" is not of the form libname.so:handler"));
  }
  if (!MainProgramIsDynamic()) {
    return Error("Runtime.PluginUnsupported",
                 absl::StrCat("this bootstrap is statically linked and cannot load the handler "
                              "plugin ",
                              name->file,
                              ": a plugin shares the C++ runtime of the bootstrap that loads it; "
                              "serve plugins with lmc's layer (its dynamically linked "
                              "/opt/bootstrap) and a function.zip that holds only the plugin"));
  }
  std::unique_ptr<Plugin> plugin(new Plugin());
  plugin->path_ = std::filesystem::path(name->file).is_absolute()
                      ? std::filesystem::path(name->file)
                      : task_root / name->file;
  const std::string path = plugin->path_.string();

  // Checked before dlopen so that the commonest mistake gets its own message (dlopen's text for
  // a missing file is the same as for a missing dependency of the file).
  std::error_code exists_error;
  if (!std::filesystem::is_regular_file(plugin->path_, exists_error)) {
    return Error("Runtime.PluginNotFound",
                 absl::StrCat("the handler plugin ", path,
                              " does not exist (a plugin _HANDLER is file:handler, the file "
                              "relative to LAMBDA_TASK_ROOT=",
                              task_root.string(), ")"));
  }
  // RTLD_NOW: an unresolved symbol fails here, at init, not in the middle of an invocation.
  // RTLD_LOCAL: two plugins' symbols never interpose on each other.
  void* library = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* why = ::dlerror();  // NOLINT(concurrency-mt-unsafe): glibc keeps it per thread
    return Error("Runtime.PluginLoadFailed",
                 absl::StrCat("cannot load the handler plugin ", path, ": ",
                              why != nullptr ? why : "dlopen failed"));
  }
  // From here on the library stays loaded (see the class comment), also on failure: unloading
  // code whose static initialisers have run is never safe in general.
  ::dlerror();  // NOLINT(concurrency-mt-unsafe): clears this thread's error before dlsym
  const auto* info = static_cast<const PluginInfo*>(::dlsym(library, kPluginSymbol));
  if (info == nullptr) {
    return Error("Runtime.PluginSymbolMissing",
                 absl::StrCat("the handler plugin ", path, " does not export \"", kPluginSymbol,
                              "\": build it with LMC_PLUGIN(...) from lmc/plugin.h"));
  }
  // abi_version is the first member in every revision; read it before trusting anything else.
  if (info->abi_version != kPluginAbiVersion || info->info_size != sizeof(PluginInfo)) {
    return Error("Runtime.PluginAbiMismatch",
                 absl::StrCat("the handler plugin ", path, " was built for lmc plugin ABI ",
                              HexVersion(info->abi_version), "; this runtime has ABI ",
                              HexVersion(kPluginAbiVersion),
                              ": rebuild it against this runtime's lmc headers"));
  }
  if (info->register_handlers == nullptr) {
    return Error("Runtime.PluginSymbolMissing",
                 absl::StrCat("the handler plugin ", path, " has no registration function"));
  }
  absl::Status registered;
  try {
    registered = info->register_handlers(plugin->registry_);
  } catch (const std::exception& e) {
    registered = absl::InternalError(absl::StrCat("registration threw: ", e.what()));
  } catch (...) {
    registered = absl::InternalError("registration threw a non-std::exception value");
  }
  if (!registered.ok()) {
    return Error("Runtime.PluginRegisterFailed",
                 absl::StrCat("the handler plugin ", path,
                              " failed to register its handlers: ", registered.message()));
  }
  plugin->handler_ = plugin->registry_.Find(name->handler);
  if (plugin->handler_ == nullptr) {
    return Error(
        "Runtime.NoSuchHandler",
        absl::StrCat("the handler plugin ", path, " registers no handler named \"", name->handler,
                     "\"; it registers: ", absl::StrJoin(plugin->registry_.Names(), ", ")));
  }
  return plugin;
}

}  // namespace lmc
