# `cmake --install BUILD --prefix P` installs lmc as a CMake package:
#
#   find_package(lmc 0.1 CONFIG REQUIRED)          # with CMAKE_PREFIX_PATH=P
#   add_executable(my_function main.cc)
#   target_link_libraries(my_function PRIVATE lmc::lmc)
#   lmc_package_function(TARGET my_function)       # function.zip / layer.zip
#
# Installed: the static libraries of runtime/ (namespaced lmc::, see LMC_INSTALL_TARGETS), the headers
# under include/lmc, lmcConfig.cmake (find_dependency for simdjson, absl, CURL, Threads; Abseil's
# static archives when lmc was built with LMC_STATIC_ABSL, as in lmc's own tree),
# lmcConfigVersion.cmake (same major version), lmcTargets.cmake, and share/lmc with the CMake
# helpers (LmcPlugin.cmake, LmcPackage.cmake, toolchains/) and packaging/package.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Every library of runtime/ (whatever libraries it gains later), plus the plugin header target.
get_property(lmc_runtime_targets DIRECTORY ${PROJECT_SOURCE_DIR}/runtime PROPERTY BUILDSYSTEM_TARGETS)
set(LMC_INSTALL_TARGETS lmc_plugin_api)
foreach(target IN LISTS lmc_runtime_targets)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "STATIC_LIBRARY" OR type STREQUAL "INTERFACE_LIBRARY")
    list(APPEND LMC_INSTALL_TARGETS ${target})
  endif()
endforeach()
set(LMC_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/lmc)

foreach(target IN LISTS LMC_INSTALL_TARGETS)
  # Installed consumers include from include/ (in a build tree, the public targets point at the
  # public include roots: lmc_public_includes, cmake/LmcLayers.cmake).
  get_target_property(type ${target} TYPE)
  if(NOT type STREQUAL "INTERFACE_LIBRARY" OR target STREQUAL "lmc_plugin_api")
    target_include_directories(${target} INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  endif()
  # lmc::lmc rather than lmc::lmc_lmc; the others keep their names (lmc::lmc_api, ...).
  if(NOT target STREQUAL "lmc")
    set_target_properties(${target} PROPERTIES EXPORT_NAME ${target})
  endif()
endforeach()

install(TARGETS ${LMC_INSTALL_TARGETS} EXPORT lmcTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/runtime/lmc DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h" PATTERN "*_test.h" EXCLUDE)
install(EXPORT lmcTargets NAMESPACE lmc:: DESTINATION ${LMC_CMAKE_DIR})

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/lmcConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/lmcConfig.cmake INSTALL_DESTINATION ${LMC_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_DATADIR)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/lmcConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/lmcConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/lmcConfigVersion.cmake DESTINATION ${LMC_CMAKE_DIR})

# Helpers and the packaging script; lmcConfig.cmake includes the helpers from here.
install(FILES ${CMAKE_CURRENT_LIST_DIR}/LmcPlugin.cmake ${CMAKE_CURRENT_LIST_DIR}/LmcPackage.cmake
  ${CMAKE_CURRENT_LIST_DIR}/LmcStaticAbsl.cmake DESTINATION ${CMAKE_INSTALL_DATADIR}/lmc/cmake)
install(DIRECTORY ${CMAKE_CURRENT_LIST_DIR}/toolchains DESTINATION ${CMAKE_INSTALL_DATADIR}/lmc/cmake)
install(PROGRAMS ${PROJECT_SOURCE_DIR}/packaging/package
  DESTINATION ${CMAKE_INSTALL_DATADIR}/lmc/packaging)
install(FILES ${PROJECT_SOURCE_DIR}/scripts/lib/deps.sh
  DESTINATION ${CMAKE_INSTALL_DATADIR}/lmc/scripts/lib)

# The same name in a source-tree build (FetchContent, add_subdirectory) as in the installed
# package.
if(NOT TARGET lmc::lmc)
  add_library(lmc::lmc ALIAS lmc)
endif()
