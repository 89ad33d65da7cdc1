// Plugins that must be refused, one per build target (tests/CMakeLists.txt picks the variant
// with LMC_TEST_PLUGIN_KIND): each exercises one init error of lmc/plugin_loader.h.
//   1 abi_mismatch    exports lmc_plugin with another ABI version
//   2 failing         registration returns an error
//   3 no_symbol       exports no lmc_plugin at all
#include "lmc/plugin.h"

#if LMC_TEST_PLUGIN_KIND == 1
// The symbol's name is the plugin ABI's, not ours to style.
// NOLINTBEGIN(readability-identifier-naming)
extern "C" __attribute__((visibility("default"))) const lmc::PluginInfo lmc_plugin;
extern "C" __attribute__((visibility("default"))) const lmc::PluginInfo lmc_plugin = {
    lmc::kPluginAbiVersion + 0x10000, sizeof(lmc::PluginInfo), nullptr};
// NOLINTEND(readability-identifier-naming)
#elif LMC_TEST_PLUGIN_KIND == 2
namespace {
absl::Status RegisterNothing(lmc::HandlerRegistry& /*handlers*/) {
  return absl::FailedPreconditionError("model file missing");
}
}  // namespace
LMC_PLUGIN(RegisterNothing);
#elif LMC_TEST_PLUGIN_KIND == 3
extern "C" __attribute__((visibility("default"))) int not_an_lmc_plugin() { return 0; }
#else
#error "LMC_TEST_PLUGIN_KIND must be 1, 2 or 3"
#endif
