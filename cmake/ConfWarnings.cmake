# Warning flags from STYLE.md, applied per target so dependency code is never affected.
# GCC reports a missing sentinel under -Wformat; clang needs -Wsentinel spelled out.
function(conf_set_warnings target)
    target_compile_options(${target} PRIVATE
        -Wall -Wextra -Wshadow -Wformat=2
        $<$<CXX_COMPILER_ID:Clang>:-Wsentinel>
        $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor>)
    if(CONF_WERROR)
        target_compile_options(${target} PRIVATE -Werror)
    endif()
endfunction()
