# conf_proto_library(<target> PROTOS <file.proto>... [GRPC] [IMPORT_DIRS <dir>...])
# Generates C++ from .proto files (paths relative to proto/) with Debian's protoc and
# grpc_cpp_plugin, and builds them into a static, position-independent library whose
# include path matches the proto package layout: `#include "conf/v1/manifest.pb.h"`.
function(conf_proto_library target)
    cmake_parse_arguments(ARG "GRPC" "" "PROTOS;IMPORT_DIRS" ${ARGN})
    set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/gen)
    file(MAKE_DIRECTORY ${out_dir})
    set(import_flags -I${CMAKE_CURRENT_SOURCE_DIR})
    foreach(dir IN LISTS ARG_IMPORT_DIRS)
        list(APPEND import_flags -I${dir})
    endforeach()
    set(sources)
    foreach(proto IN LISTS ARG_PROTOS)
        # Relative to this directory, or else to one of IMPORT_DIRS (system protos such as
        # grpc/health/v1/health.proto from Debian's grpc-proto).
        set(abs ${CMAKE_CURRENT_SOURCE_DIR}/${proto})
        if(NOT EXISTS ${abs})
            foreach(dir IN LISTS ARG_IMPORT_DIRS)
                if(EXISTS ${dir}/${proto})
                    set(abs ${dir}/${proto})
                    break()
                endif()
            endforeach()
        endif()
        string(REGEX REPLACE "\\.proto$" "" stem ${proto})
        set(outputs ${out_dir}/${stem}.pb.cc ${out_dir}/${stem}.pb.h)
        set(plugin_flags)
        if(ARG_GRPC)
            list(APPEND outputs ${out_dir}/${stem}.grpc.pb.cc ${out_dir}/${stem}.grpc.pb.h)
            set(plugin_flags --grpc_out=${out_dir}
                             --plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN_EXECUTABLE})
        endif()
        add_custom_command(
            OUTPUT ${outputs}
            COMMAND ${PROTOC_EXECUTABLE} ${import_flags} --cpp_out=${out_dir} ${plugin_flags}
                    ${abs}
            DEPENDS ${abs}
            COMMENT "protoc ${proto}"
            VERBATIM)
        list(APPEND sources ${out_dir}/${stem}.pb.cc)
        if(ARG_GRPC)
            list(APPEND sources ${out_dir}/${stem}.grpc.pb.cc)
        endif()
    endforeach()
    add_library(${target} STATIC ${sources})
    set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
    # Generated code is not ours to warn about.
    target_include_directories(${target} SYSTEM PUBLIC ${out_dir})
    target_link_libraries(${target} PUBLIC PkgConfig::PROTOBUF)
    if(ARG_GRPC)
        target_link_libraries(${target} PUBLIC PkgConfig::GRPCXX)
    endif()
endfunction()
