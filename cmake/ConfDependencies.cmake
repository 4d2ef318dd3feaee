# Every dependency comes from a Debian 12 package and is found through pkg-config
# (cmake/scripts/install-deps.sh installs them). Headers are SYSTEM includes so their warnings
# never fail our -Werror build.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

pkg_check_modules(GST REQUIRED IMPORTED_TARGET
    gstreamer-1.0>=1.22 gstreamer-base-1.0>=1.22 gstreamer-app-1.0>=1.22
    gstreamer-rtp-1.0>=1.22 gstreamer-sdp-1.0>=1.22 gstreamer-webrtc-1.0>=1.22
    gstreamer-pbutils-1.0>=1.22 gstreamer-video-1.0>=1.22)
pkg_check_modules(GLIB REQUIRED IMPORTED_TARGET glib-2.0 gobject-2.0 gio-2.0 gio-unix-2.0)
pkg_check_modules(FMT REQUIRED IMPORTED_TARGET fmt>=9)
pkg_check_modules(SOUP REQUIRED IMPORTED_TARGET libsoup-3.0)
pkg_check_modules(PROTOBUF REQUIRED IMPORTED_TARGET protobuf>=3.21)
pkg_check_modules(GRPCXX REQUIRED IMPORTED_TARGET grpc++>=1.51)
pkg_check_modules(NICE REQUIRED IMPORTED_TARGET nice)
pkg_check_modules(OPENSSL REQUIRED IMPORTED_TARGET openssl>=3)

find_program(PROTOC_EXECUTABLE protoc REQUIRED)
find_program(GRPC_CPP_PLUGIN_EXECUTABLE grpc_cpp_plugin REQUIRED)

if(CONF_BUILD_TESTS)
    pkg_check_modules(CATCH2 REQUIRED IMPORTED_TARGET catch2>=2.13)
endif()
