# Files a program writes about itself at build time (man pages, shell completion scripts):
#   falcon_generated_file(VAR OUTPUT GZIP DESTINATION RENAME <program target> [args...])
# runs the program with the args after it is built, its stdout to OUTPUT (in the current binary
# dir), and installs OUTPUT to DESTINATION as RENAME (gzip -9n'd first when GZIP is true and
# gzip is found, as Debian ships man pages). VAR gets the file to list in an ALL target.
include_guard(GLOBAL)
find_program(FALCON_GZIP gzip)

function(falcon_generated_file var output gzip destination rename program)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${output})
  set(_falcon_run_to_file ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/run_to_file.cmake)
  add_custom_command(OUTPUT ${out}
                     COMMAND ${CMAKE_COMMAND} -DOUT=${out} -P ${_falcon_run_to_file} --
                             $<TARGET_FILE:${program}> ${ARGN}
                     DEPENDS ${program} ${_falcon_run_to_file}
                     COMMENT "Generating ${output}" VERBATIM)
  set(installed ${out})
  if(gzip AND FALCON_GZIP)
    add_custom_command(OUTPUT ${out}.gz COMMAND ${FALCON_GZIP} -9nfk ${out} DEPENDS ${out}
                       VERBATIM)
    set(installed ${out}.gz)
    set(rename ${rename}.gz)
  endif()
  install(FILES ${installed} DESTINATION ${destination} RENAME ${rename})
  set(${var} ${out} ${installed} PARENT_SCOPE)
endfunction()
