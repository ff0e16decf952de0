# `docs`: the API reference (Doxygen) from the public headers, README.md and every page of docs/,
# into <build>/docs/html. Any Doxygen warning fails the target. Optional: without doxygen there
# is no such target.
find_package(Doxygen QUIET)
if(NOT DOXYGEN_FOUND)
  return()
endif()
set(_md ${PROJECT_BINARY_DIR}/doxygen-markdown)
file(MAKE_DIRECTORY ${_md})
file(WRITE ${PROJECT_BINARY_DIR}/Doxyfile.docs
     "@INCLUDE = ${PROJECT_SOURCE_DIR}/docs/Doxyfile\n"
     "INPUT = ${PROJECT_SOURCE_DIR}/include/falcon ${PROJECT_SOURCE_DIR}/include/falcon/testing "
     "${_md}/README.md ${_md}/docs\n"
     "USE_MDFILE_AS_MAINPAGE = ${_md}/README.md\n"
     "STRIP_FROM_PATH = ${PROJECT_SOURCE_DIR}/include ${_md}\n"
     "OUTPUT_DIRECTORY = ${PROJECT_BINARY_DIR}/docs\n"
     "PROJECT_NUMBER = ${PROJECT_VERSION}\n"
     "HAVE_DOT = NO\n"
     "WARN_AS_ERROR = FAIL_ON_WARNINGS\n")
add_custom_target(docs
  COMMAND ${CMAKE_COMMAND} -DSRC=${PROJECT_SOURCE_DIR} -DOUT=${_md}
          -P ${PROJECT_SOURCE_DIR}/cmake/doxygen_markdown.cmake
  COMMAND ${DOXYGEN_EXECUTABLE} ${PROJECT_BINARY_DIR}/Doxyfile.docs
  # README's links (docs/x.md) resolve against the working directory.
  WORKING_DIRECTORY ${_md}
  COMMENT "API reference (Doxygen) in ${PROJECT_BINARY_DIR}/docs/html"
  VERBATIM)
