# Turns a text file into a C++ source defining `std::string_view FUNCTION()` that returns the
# file's exact bytes, so the binary embeds the file itself and never a hand-copied string.
# Run at build time:
#   cmake -DINPUT=<file> -DOUTPUT=<file.cpp> -DHEADER=<header to include>
#         -DNAMESPACE=<ns> -DFUNCTION=<name> -P embed_text.cmake
foreach(var INPUT OUTPUT HEADER NAMESPACE FUNCTION)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "embed_text.cmake: ${var} is not set")
    endif()
endforeach()

file(READ ${INPUT} hex HEX)
# Hex escapes, 16 bytes per line; each "\xHH" ends where the next backslash starts, so no
# escape can swallow a following character.
string(LENGTH "${hex}" hex_length)
set(escaped "")
set(offset 0)
while(offset LESS hex_length)
    string(SUBSTRING "${hex}" ${offset} 32 chunk)
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" chunk "${chunk}")
    string(APPEND escaped "\n    \"${chunk}\"")
    math(EXPR offset "${offset} + 32")
endwhile()
if(escaped STREQUAL "")
    set(escaped "\n    \"\"")
endif()
get_filename_component(input_name ${INPUT} NAME)

file(WRITE ${OUTPUT}.tmp
"// Generated from ${input_name} by embed_text.cmake; do not edit.
#include \"${HEADER}\"

namespace ${NAMESPACE} {

std::string_view ${FUNCTION}() {
    static constexpr char kText[] =${escaped};
    return {kText, sizeof(kText) - 1};
}

} // namespace ${NAMESPACE}
")
# Only touch the output when it changed, so an unrelated re-run does not force a rebuild.
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUTPUT}.tmp)
