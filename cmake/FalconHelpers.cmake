# Warnings and sanitizers for the project's own targets (never forced on consumers).
function(falcon_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wnon-virtual-dtor)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wshadow=local)
  endif()
  if(FALCON_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(FALCON_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12's sanitizer instrumentation makes -Wmaybe-uninitialized fire inside libstdc++
    # (std::regex, std::function); the plain build keeps the warning as an error.
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
endfunction()

if(FALCON_SANITIZE)
  string(REPLACE ";" "," _falcon_san "${FALCON_SANITIZE}")
  add_compile_options(-fsanitize=${_falcon_san} -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=${_falcon_san})
  if(_falcon_san MATCHES "undefined")
    add_compile_options(-fno-sanitize-recover=undefined)
  endif()
endif()
