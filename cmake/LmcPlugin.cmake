# Handler plugins (runtime/lmc/plugin.h): shared libraries that a bootstrap loads with dlopen
# when _HANDLER is libname.so:handler.
#
#   lmc_enable_plugins(bootstrap)                     # a bootstrap that can load plugins
#   lmc_add_plugin(NAME hello SRCS hello.cc)          # builds plugins/libhello.so
#
# A plugin links none of lmc: the bootstrap exports its symbols (ENABLE_EXPORTS) and keeps
# every object of the public surface (lmc_api, lmc_base, lmc_json) so that whatever a plugin
# calls from lmc/*.h and lmc/base/*.h is there, whether or not the bootstrap itself uses it.

# Header-only view of lmc for plugins: include paths, no libraries.
if(NOT TARGET lmc_plugin_api AND NOT TARGET lmc::lmc_plugin_api)
  add_library(lmc_plugin_api INTERFACE)
  lmc_public_includes(lmc_plugin_api ROOTS ${LMC_PUBLIC_ROOTS})
  # A plugin shares simdjson objects with the runtime (Event::Json()'s parser and document), and
  # their layout depends on simdjson's definitions (SIMDJSON_THREADS_ENABLED adds members):
  # without them a plugin reads the runtime's parser at the wrong offsets.
  target_compile_definitions(lmc_plugin_api INTERFACE
    $<TARGET_PROPERTY:simdjson::simdjson,INTERFACE_COMPILE_DEFINITIONS>)
endif()

# The libraries whose every object a plugin-serving bootstrap keeps: the public surface.
set(LMC_PLUGIN_SURFACE_LIBRARIES lmc_api lmc_base lmc_json)

# In lmc's own tree the targets are lmc_api, ...; in an installed package lmc::lmc_api, ...
macro(lmc_plugin_target_names)
  set(lmc_surface_targets "")
  foreach(name IN LISTS LMC_PLUGIN_SURFACE_LIBRARIES)
    if(TARGET ${name})
      list(APPEND lmc_surface_targets ${name})
    elseif(TARGET lmc::${name})
      list(APPEND lmc_surface_targets lmc::${name})
    endif()
  endforeach()
  if(TARGET lmc_plugin_api)
    set(lmc_plugin_api_target lmc_plugin_api)
  else()
    set(lmc_plugin_api_target lmc::lmc_plugin_api)
  endif()
endmacro()

# lmc_enable_plugins(TARGET): makes an executable able to serve plugin handlers.
function(lmc_enable_plugins target)
  lmc_plugin_target_names()
  set_target_properties(${target} PROPERTIES ENABLE_EXPORTS ON)
  # The archives are linked again normally by the target's dependencies; objects already pulled
  # in by --whole-archive are not duplicated.
  set(archives "")
  foreach(library IN LISTS lmc_surface_targets)
    list(APPEND archives "$<TARGET_FILE:${library}>")
  endforeach()
  target_link_options(${target} PRIVATE "LINKER:--whole-archive" ${archives}
    "LINKER:--no-whole-archive")
  foreach(library IN LISTS lmc_surface_targets)
    if(NOT library MATCHES "::")
      add_dependencies(${target} ${library})
    endif()
  endforeach()
endfunction()

# lmc_add_plugin(NAME n [OUTPUT_NAME o] SRCS ... [DEFINITIONS ...]): lib<o or n>.so in
# ${CMAKE_BINARY_DIR}/plugins.
function(lmc_add_plugin)
  cmake_parse_arguments(P "" "NAME;OUTPUT_NAME" "SRCS;DEFINITIONS" ${ARGN})
  lmc_plugin_target_names()
  add_library(${P_NAME} MODULE ${P_SRCS})
  target_link_libraries(${P_NAME} PRIVATE ${lmc_plugin_api_target})
  # A plugin in lmc's own tree may include what its folder's layer may (cmake/LmcLayers.cmake).
  if(COMMAND lmc_layer_includes)
    lmc_in_lmc_tree(in_tree)
    if(in_tree)
      lmc_layer_includes(${P_NAME})
    endif()
  endif()
  target_compile_options(${P_NAME} PRIVATE ${LMC_WARNING_FLAGS})
  target_compile_definitions(${P_NAME} PRIVATE ${P_DEFINITIONS})
  set_target_properties(${P_NAME} PROPERTIES
    CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/plugins)
  if(P_OUTPUT_NAME)
    set_target_properties(${P_NAME} PROPERTIES OUTPUT_NAME ${P_OUTPUT_NAME})
  endif()
endfunction()
