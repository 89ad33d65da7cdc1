# Layers that hold by construction: what a target may #include is decided by the layer it
# belongs to, and nothing else can be found. A forbidden include is "No such file", at compile
# time, in every tree (runtime/README.md, "Layers", states the rules; the layers.* tests prove
# that each one fails to build).
#
# How: no target gets the repository (or runtime/) as an include directory. Instead each unit of
# code has an include root of its own, staged in the build tree as symbolic links to the sources
# (the include paths stay "lmc/base/config.h", "handlers/http/router.h", ...), and a target gets
# the roots its layer may use, PRIVATE: linking a library never hands over more. The layer is
# the folder the target is defined in (handlers/, functions/, examples/, tools/, tests/, bench/),
# so a new library under handlers/ or tools/ gets its rules without asking; runtime/ names the
# layer of each library (LAYER), since its layers share one folder.
#
#   lmc_cc_library(NAME lmc_durable SRCS ... DEPS lmc_api)      # in handlers/: layer handlers
#   lmc_cc_library(NAME lmc_base SRCS ... LAYER base)           # in runtime/
#   lmc_layer_includes(my_target [LAYER l] [TEST])               # for targets made by hand
#
# Roots (staged under <build>/layers/; each path keeps a runtime/, handlers/, ... component so
# .clang-tidy's HeaderFilterRegex still matches headers reached through them):
#   leaves         lmc/{json,log_level,strings,status_macros,mutex,clock,http_status,thread_random}.h
#   base           lmc/base/ (with base/http/)
#   transport      lmc/transport/ (with transport/internal/)
#   surface        the public lmc/*.h but the ones below
#   entry          lmc/runtime.h, lmc/lmc.h (Run(); dispatch must not call it)
#   plugin_loader  lmc/plugin_loader.h
#   internal       lmc/internal/ (the user surface's private side)
#   testing        lmc/testing/
#   dispatch       lmc/dispatch/
#   handlers, functions, examples, tools, tests, bench: the folders of those names

# lmc's own source tree (PROJECT_SOURCE_DIR is a consumer's in functions it calls).
set(LMC_SOURCE_DIR ${PROJECT_SOURCE_DIR} CACHE INTERNAL "lmc's source tree")
set(LMC_LAYER_STAGE_DIR ${CMAKE_BINARY_DIR}/layers)
set(LMC_LEAF_HEADERS json.h log_level.h strings.h status_macros.h mutex.h clock.h http_status.h
    thread_random.h)
set(LMC_ENTRY_HEADERS runtime.h lmc.h)

# The roots each layer may include. Tests of a layer may also use lmc/testing/, tools/ (the
# emulator) and tests/ (fixtures such as tests/support/bootstrap_fixture.h): see LMC_TEST_ROOTS.
set(LMC_LAYER_leaves leaves)
set(LMC_LAYER_base leaves base)
set(LMC_LAYER_transport leaves base transport)
set(LMC_LAYER_surface leaves base surface entry internal)
set(LMC_LAYER_testing leaves base surface entry internal testing)
set(LMC_LAYER_dispatch leaves base transport surface internal dispatch)
set(LMC_LAYER_plugin_loader leaves base surface entry internal plugin_loader)
set(LMC_LAYER_entry leaves base transport surface entry internal dispatch plugin_loader)
set(LMC_LAYER_handlers leaves surface entry handlers)
set(LMC_LAYER_functions leaves surface entry handlers functions)
set(LMC_LAYER_examples leaves surface entry examples)
set(LMC_LAYER_tools leaves base surface entry handlers tools)
set(LMC_LAYER_tests leaves base transport surface entry internal testing dispatch plugin_loader
    handlers functions examples tools tests bench)
set(LMC_LAYER_bench ${LMC_LAYER_tests})
set(LMC_TEST_ROOTS testing tools tests)
# What a project outside this tree sees through lmc::lmc / lmc::lmc_api / lmc::lmc_testing
# (FetchContent); the installed package has include/ instead.
set(LMC_PUBLIC_ROOTS leaves surface entry)

# The directory of root `name` (an include directory).
function(lmc_layer_root_dir name out)
  if(name MATCHES "^(handlers|functions|examples|tools|tests|bench)$")
    set(${out} ${LMC_LAYER_STAGE_DIR}/${name} PARENT_SCOPE)
  else()
    set(${out} ${LMC_LAYER_STAGE_DIR}/${name}/runtime PARENT_SCOPE)
  endif()
endfunction()

# A symbolic link at `link` to `target`, unless one is already there.
function(lmc_layer_link target link)
  if(IS_SYMLINK "${link}")
    file(READ_SYMLINK "${link}" current)
    if(current STREQUAL target)
      return()
    endif()
    file(REMOVE "${link}")  # removes the link, never what it points to
  endif()
  get_filename_component(parent "${link}" DIRECTORY)
  file(MAKE_DIRECTORY "${parent}")
  file(CREATE_LINK "${target}" "${link}" SYMBOLIC)
endfunction()

# Stages every root (at configure time; a new public header re-runs CMake through the glob).
function(lmc_stage_layer_roots)
  set(lmc ${PROJECT_SOURCE_DIR}/runtime/lmc)
  foreach(dir base transport internal testing dispatch)
    lmc_layer_root_dir(${dir} root)
    lmc_layer_link(${lmc}/${dir} ${root}/lmc/${dir})
  endforeach()
  foreach(folder handlers functions examples tools tests bench)
    lmc_layer_root_dir(${folder} root)
    lmc_layer_link(${PROJECT_SOURCE_DIR}/${folder} ${root}/${folder})
  endforeach()
  file(GLOB headers RELATIVE ${lmc} CONFIGURE_DEPENDS ${lmc}/*.h)
  foreach(header IN LISTS headers)
    if(header IN_LIST LMC_LEAF_HEADERS)
      set(name leaves)
    elseif(header IN_LIST LMC_ENTRY_HEADERS)
      set(name entry)
    elseif(header STREQUAL "plugin_loader.h")
      set(name plugin_loader)
    else()
      set(name surface)
    endif()
    lmc_layer_root_dir(${name} root)
    lmc_layer_link(${lmc}/${header} ${root}/lmc/${header})
  endforeach()
endfunction()

# Whether the current folder is part of lmc (a project that adds lmc has folders of its own).
function(lmc_in_lmc_tree out)
  file(RELATIVE_PATH relative ${LMC_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR})
  if(relative MATCHES "^\\.\\./" OR IS_ABSOLUTE "${relative}")
    set(${out} FALSE PARENT_SCOPE)
  else()
    set(${out} TRUE PARENT_SCOPE)
  endif()
endfunction()

# The layer of targets defined in the current folder: its first path component.
function(lmc_layer_of_current_dir out)
  file(RELATIVE_PATH relative ${LMC_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR})
  string(REGEX REPLACE "/.*" "" top "${relative}")
  if(NOT DEFINED LMC_LAYER_${top} OR top STREQUAL "")
    message(FATAL_ERROR "${CMAKE_CURRENT_SOURCE_DIR}: no layer for folder '${top}'; name one "
      "with LAYER (see cmake/LmcLayers.cmake)")
  endif()
  set(${out} ${top} PARENT_SCOPE)
endfunction()

# lmc_layer_includes(target [LAYER l] [TEST]): gives `target` the include roots of its layer
# (the folder's unless LAYER names one), PRIVATE; TEST adds what tests may also use.
function(lmc_layer_includes target)
  cmake_parse_arguments(L "TEST" "LAYER" "" ${ARGN})
  if(NOT L_LAYER)
    lmc_layer_of_current_dir(L_LAYER)
  endif()
  if(NOT DEFINED LMC_LAYER_${L_LAYER})
    message(FATAL_ERROR "lmc_layer_includes(${target}): unknown layer '${L_LAYER}'")
  endif()
  set(roots ${LMC_LAYER_${L_LAYER}})
  if(L_TEST)
    list(APPEND roots ${LMC_TEST_ROOTS})
    list(REMOVE_DUPLICATES roots)
  endif()
  set(dirs "")
  foreach(root IN LISTS roots)
    lmc_layer_root_dir(${root} dir)
    list(APPEND dirs ${dir})
  endforeach()
  target_include_directories(${target} PRIVATE ${dirs})
  set_property(TARGET ${target} PROPERTY LMC_LAYER ${L_LAYER})
endfunction()

# lmc_public_includes(target ROOTS ...): what targets outside this tree (FetchContent) see when
# they link `target`: the public roots in the build tree, include/ once installed.
function(lmc_public_includes target)
  cmake_parse_arguments(P "" "" "ROOTS" ${ARGN})
  set(dirs "")
  foreach(root IN LISTS P_ROOTS)
    lmc_layer_root_dir(${root} dir)
    list(APPEND dirs "$<BUILD_INTERFACE:${dir}>")
  endforeach()
  target_include_directories(${target} INTERFACE ${dirs})
endfunction()

# lmc_layer_probe(NAME n LAYER l INCLUDE header): the ctest `layers.<n>`, which builds a one-line
# source including `header` as part of layer `l` and passes only when that fails because the
# header cannot be found (the rule, not anything else, stopped it). Unsanitised trees only: the
# outcome is the same in every tree.
function(lmc_layer_probe)
  cmake_parse_arguments(P "" "NAME;LAYER;INCLUDE" "" ${ARGN})
  if(NOT LMC_BUILD_TESTS OR NOT LMC_SANITIZE STREQUAL "" OR LMC_FUZZ)
    return()
  endif()
  string(MAKE_C_IDENTIFIER "lmc_layer_probe_${P_NAME}" target)
  set(source ${LMC_LAYER_STAGE_DIR}/probes/${target}.cc)
  file(CONFIGURE OUTPUT ${source}
    CONTENT "// Layer ${P_LAYER} may not include this (cmake/LmcLayers.cmake).\n#include \"${P_INCLUDE}\"\n")
  add_library(${target} OBJECT EXCLUDE_FROM_ALL ${source})
  lmc_layer_includes(${target} LAYER ${P_LAYER})
  string(REPLACE "." "\\." escaped "${P_INCLUDE}")
  add_test(NAME layers.${P_NAME}
    COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target ${target})
  # Probes run ninja (or make) in this build tree: one at a time.
  set_tests_properties(layers.${P_NAME} PROPERTIES LABELS unit TIMEOUT 120
    RESOURCE_LOCK lmc_build_tree
    PASS_REGULAR_EXPRESSION "${escaped}: No such file or directory|'${escaped}' file not found")
endfunction()
