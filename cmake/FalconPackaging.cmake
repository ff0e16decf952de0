# The installable package: libraries (static, shared, or both), headers, the CMake package
# (find_package(falcon-cpp) gives falcon::falcon and falcon::testing), pkg-config files, the
# examples, and CPack Debian packages. Included from the top-level CMakeLists.txt after src/.

# --- Shared library: SONAME and exported symbols ---------------------------------------------
# Before 1.0 every minor release may break the ABI, so the SONAME carries major.minor
# (libfalcon.so.0.1); from 1.0 on, the major alone.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(FALCON_SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
else()
  set(FALCON_SOVERSION ${PROJECT_VERSION_MAJOR})
endif()
set_target_properties(falcon falcon_testing PROPERTIES VERSION ${PROJECT_VERSION}
                                                       SOVERSION ${FALCON_SOVERSION})
# Only the public API (namespace falcon, minus falcon::internal) is exported, by a linker version
# script: no export macros in the public headers, and the template code of std:: and nlohmann::
# the library instantiates stays private. Tests that call falcon::internal need the static
# build (the default).
get_target_property(_falcon_type falcon TYPE)
if(_falcon_type STREQUAL "SHARED_LIBRARY")
  set(_map ${PROJECT_SOURCE_DIR}/cmake/falcon.map)
  foreach(lib falcon falcon_testing)
    target_link_options(${lib} PRIVATE "LINKER:--version-script=${_map}" "LINKER:--no-undefined")
    set_property(TARGET ${lib} APPEND PROPERTY LINK_DEPENDS ${_map})
  endforeach()
endif()

# --- Both: a static libfalcon.a next to the shared library ------------------------------------
option(FALCON_STATIC_TOO "With BUILD_SHARED_LIBS, also build and install libfalcon.a \
(falcon::falcon_static)" OFF)
set(_falcon_targets falcon falcon_testing)
if(_falcon_type STREQUAL "SHARED_LIBRARY" AND FALCON_STATIC_TOO)
  get_target_property(_srcs falcon SOURCES)
  get_target_property(_dir falcon SOURCE_DIR)
  set(_abs)
  foreach(s ${_srcs})
    if(IS_ABSOLUTE "${s}")
      list(APPEND _abs "${s}")
    else()
      list(APPEND _abs "${_dir}/${s}")
    endif()
  endforeach()
  add_library(falcon_static STATIC ${_abs})
  add_library(falcon::falcon_static ALIAS falcon_static)
  set_target_properties(falcon_static PROPERTIES OUTPUT_NAME falcon EXPORT_NAME falcon_static)
  get_target_property(_pub falcon INTERFACE_LINK_LIBRARIES)
  get_target_property(_all falcon LINK_LIBRARIES)
  target_link_libraries(falcon_static PUBLIC ${_pub} PRIVATE ${_all})
  target_include_directories(falcon_static
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
           $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
           $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    PRIVATE $<TARGET_PROPERTY:falcon,INCLUDE_DIRECTORIES>)
  target_compile_definitions(falcon_static PRIVATE
                             $<TARGET_PROPERTY:falcon,COMPILE_DEFINITIONS>)
  target_compile_features(falcon_static PUBLIC cxx_std_17)
  falcon_target_defaults(falcon_static)
  list(APPEND _falcon_targets falcon_static)
endif()

# Embedded in another project (FALCON_INSTALL off), the libraries are all it gets.
if(NOT FALCON_INSTALL)
  return()
endif()

# --- Install rules ------------------------------------------------------------------------------
include(CMakePackageConfigHelpers)
install(TARGETS falcon EXPORT falcon-cppTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
list(REMOVE_ITEM _falcon_targets falcon)
install(TARGETS ${_falcon_targets} EXPORT falcon-cppTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/falcon DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
        PATTERN "*.in" EXCLUDE)
install(FILES ${PROJECT_BINARY_DIR}/include/falcon/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/falcon COMPONENT dev)
install(EXPORT falcon-cppTargets NAMESPACE falcon::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/falcon-cpp COMPONENT dev)
configure_package_config_file(cmake/falcon-cppConfig.cmake.in
  ${PROJECT_BINARY_DIR}/falcon-cppConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/falcon-cpp)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/falcon-cppConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/falcon-cppConfig.cmake
              ${PROJECT_BINARY_DIR}/falcon-cppConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/falcon-cpp COMPONENT dev)
# The examples (and their emulator driver), buildable against the installed package.
install(DIRECTORY examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples COMPONENT dev
        PATTERN "*.sh" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
                                   GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

# --- pkg-config ---------------------------------------------------------------------------------
# Relocatable: prefix is found from the .pc file's own place, so `cmake --install --prefix X`
# works as well as the configured prefix.
set(_pcdir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH _up /x/${_pcdir} /x)
string(REGEX REPLACE "/$" "" _up "${_up}")
set(CMAKE_INSTALL_PREFIX_SAVED ${CMAKE_INSTALL_PREFIX})
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(FALCON_PC_LIBDIR ${CMAKE_INSTALL_LIBDIR})
else()
  set(FALCON_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(FALCON_PC_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR})
else()
  set(FALCON_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
if(_falcon_type STREQUAL "SHARED_LIBRARY")
  # libcurl is an implementation detail of the shared library; `--static` still gets it.
  set(FALCON_PC_REQUIRES "nlohmann_json >= 3.11.0")
  set(FALCON_PC_REQUIRES_PRIVATE "libcurl >= 7.85.0, libssl, libcrypto, simdjson >= 3.0.0")
  set(FALCON_PC_LIBS "")
  set(FALCON_PC_LIBS_PRIVATE "-pthread")
else()
  set(FALCON_PC_REQUIRES
      "nlohmann_json >= 3.11.0, libcurl >= 7.85.0, libssl, libcrypto, simdjson >= 3.0.0")
  set(FALCON_PC_REQUIRES_PRIVATE "")
  set(FALCON_PC_LIBS "-pthread")
  set(FALCON_PC_LIBS_PRIVATE "")
endif()
set(CMAKE_INSTALL_PREFIX "\${pcfiledir}/${_up}")
configure_file(cmake/falcon-cpp.pc.in ${PROJECT_BINARY_DIR}/falcon-cpp.pc @ONLY)
configure_file(cmake/falcon-cpp-testing.pc.in ${PROJECT_BINARY_DIR}/falcon-cpp-testing.pc @ONLY)
set(CMAKE_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX_SAVED})
install(FILES ${PROJECT_BINARY_DIR}/falcon-cpp.pc ${PROJECT_BINARY_DIR}/falcon-cpp-testing.pc
        DESTINATION ${_pcdir} COMPONENT dev)

# --- CPack: Debian packages ---------------------------------------------------------------------
# Only for falcon-cpp's own packages: include(CPack) writes CPackConfig.cmake at the top of the
# build tree, which a parent project's own include(CPack) would fight over.
if(NOT FALCON_PACKAGE)
  return()
endif()
# cmake -DBUILD_SHARED_LIBS=ON -DCMAKE_INSTALL_PREFIX=/usr ... && cpack -G DEB gives
#   libfalcon-cpp<soversion>  the shared library
#   libfalcon-cpp-dev         headers, CMake and pkg-config files, libfalcon_testing, examples
#   falcon-cpp-tools          falcon-emulator and falcon-ioc
set(CPACK_PACKAGE_NAME falcon-cpp)
set(CPACK_PACKAGE_VENDOR "falcon-cpp")
set(CPACK_PACKAGE_CONTACT "falcon-cpp maintainers <falcon-cpp@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
# falcon-ioc links libfalcon.so from this build: dpkg-shlibdeps finds it here, and the Depends on
# the runtime package comes from the component dependency below.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR}/src)
set(_runtime_pkg libfalcon-cpp${FALCON_SOVERSION})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME ${_runtime_pkg})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
# dpkg-shlibdeps sees only that libcurl.so.4 is linked; the transport needs 7.85 at run time.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "libcurl4 (>= 7.85)")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libfalcon-cpp-dev)
set(CPACK_DEBIAN_PROGRAMS_PACKAGE_NAME falcon-cpp-tools)
set(CPACK_DEBIAN_PROGRAMS_PACKAGE_SECTION net)
# Headers include nlohmann/json; the CMake config file and a static library need libcurl >= 7.85
# (CURLOPT_PROTOCOLS_STR).
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "nlohmann-json3-dev (>= 3.11), libcurl4-openssl-dev (>= 7.85) | libcurl-dev, libssl-dev, libsimdjson-dev (>= 3.0)")
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION "C++ SDK for the CrowdStrike Falcon IOC API (library)
 falcon-cpp calls every operation of the Falcon custom IOC API with typed methods, connection
 reuse, token renewal, retries and rate-limit handling. This package has the shared library.")
set(CPACK_DEBIAN_DEV_DESCRIPTION "C++ SDK for the CrowdStrike Falcon IOC API (development files)
 Headers, the static library, libfalcon_testing (FakeTransport), the CMake package
 (find_package(falcon-cpp)), pkg-config files and the example programs.")
set(CPACK_DEBIAN_PROGRAMS_DESCRIPTION "falcon-ioc and falcon-emulator
 falcon-ioc, a command-line tool for Falcon custom IOCs, and falcon-emulator, a local emulator of
 the Falcon IOC API for offline development and tests.")
if(_falcon_type STREQUAL "SHARED_LIBRARY")
  set(CPACK_COMPONENTS_ALL runtime dev programs)
else()
  set(CPACK_COMPONENTS_ALL dev programs)
endif()
include(CPack)
if(_falcon_type STREQUAL "SHARED_LIBRARY")
  cpack_add_component(runtime)
  cpack_add_component(dev DEPENDS runtime)
  cpack_add_component(programs DEPENDS runtime)
else()
  cpack_add_component(dev)
  cpack_add_component(programs)
endif()
