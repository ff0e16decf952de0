# `docs`: the API reference (Doxygen) from the public headers, README.md and every page of docs/,
# into <build>/docs/html. Any Doxygen warning fails the target. Optional: without doxygen there
# is no such target. Embedded in another project (with FALCON_DOCS on) it is `falcon_docs`, so
# a parent's own `docs` target stays its own.
find_package(Doxygen QUIET)
if(NOT DOXYGEN_FOUND)
  return()
endif()
set(_md ${PROJECT_BINARY_DIR}/doxygen-markdown)
file(MAKE_DIRECTORY ${_md})
file(WRITE ${PROJECT_BINARY_DIR}/Doxyfile.docs
     "@INCLUDE = ${PROJECT_SOURCE_DIR}/docs/Doxyfile\n"
     "INPUT = ${PROJECT_SOURCE_DIR}/include/falcon ${PROJECT_SOURCE_DIR}/include/falcon/testing "
     "${PROJECT_BINARY_DIR}/include/falcon/version.hpp "
     "${_md}/README.md ${_md}/CHANGELOG.md ${_md}/CONTRIBUTING.md ${_md}/SECURITY.md ${_md}/docs\n"
     "USE_MDFILE_AS_MAINPAGE = ${_md}/README.md\n"
     "STRIP_FROM_PATH = ${PROJECT_SOURCE_DIR}/include ${PROJECT_BINARY_DIR}/include ${_md}\n"
     "OUTPUT_DIRECTORY = ${PROJECT_BINARY_DIR}/docs\n"
     "PROJECT_NUMBER = ${PROJECT_VERSION}\n"
     "HAVE_DOT = NO\n"
     "WARN_AS_ERROR = FAIL_ON_WARNINGS\n")
if(PROJECT_IS_TOP_LEVEL)
  set(_docs_target docs)
else()
  set(_docs_target falcon_docs)
endif()
add_custom_target(${_docs_target}
  COMMAND ${CMAKE_COMMAND} -DSRC=${PROJECT_SOURCE_DIR} -DOUT=${_md}
          -P ${PROJECT_SOURCE_DIR}/cmake/doxygen_markdown.cmake
  COMMAND ${DOXYGEN_EXECUTABLE} ${PROJECT_BINARY_DIR}/Doxyfile.docs
  # README's links (docs/x.md) resolve against the working directory.
  WORKING_DIRECTORY ${_md}
  COMMENT "API reference (Doxygen) in ${PROJECT_BINARY_DIR}/docs/html"
  VERBATIM)
