# cmake -DSRC=<source dir> -DOUT=<dir> -P doxygen_markdown.cmake
# Copies README.md, CHANGELOG.md, CONTRIBUTING.md, SECURITY.md and docs/*.md into OUT (same
# layout, so relative links resolve) for Doxygen,
# turning GitHub heading anchors, which Doxygen 1.9 does not generate, into plain links:
# [text](#anchor) -> text, [text](page.md#anchor) -> [text](page.md).
set(_top README.md CHANGELOG.md CONTRIBUTING.md SECURITY.md)
list(TRANSFORM _top PREPEND ${OUT}/ OUTPUT_VARIABLE _old)
file(REMOVE_RECURSE ${_old} ${OUT}/docs)
list(TRANSFORM _top PREPEND ${SRC}/)
file(GLOB pages RELATIVE ${SRC} ${_top} ${SRC}/docs/*.md)
foreach(page ${pages})
  file(READ ${SRC}/${page} text)
  string(REGEX REPLACE "\\[([^]]*)\\]\\(#[^)]*\\)" "\\1" text "${text}")
  string(REGEX REPLACE "\\]\\(([^)#]*\\.md)#[^)]*\\)" "](\\1)" text "${text}")
  file(WRITE ${OUT}/${page} "${text}")
endforeach()
