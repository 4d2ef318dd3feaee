#!/usr/bin/env bash
# The installed libconf package, used as an app developer would use it:
#   1. `cmake --install` the build tree into a scratch prefix;
#   2. the installed headers are self-contained and free of GStreamer/GLib;
#   3. examples/hello_engine, configured standalone with find_package(libconf), builds and runs;
#   4. a one-file program built with `pkg-config --cflags --libs libconf` builds and runs.
# Run by ctest (tests/install/CMakeLists.txt passes the paths). Any failure exits non-zero
# with a line starting "FAIL:".
set -euo pipefail

usage() {
    echo "usage: $0 --cmake CMAKE --build-dir DIR --source-dir DIR --scratch DIR --cxx CXX" \
        "--generator GEN [--make-program PROG] [--sanitize-flags=FLAGS]" >&2
    exit 2
}

cmake_bin="" build_dir="" source_dir="" scratch="" cxx="" generator="" make_program=""
sanitize_flags=""
while (($# > 0)); do
    case "$1" in
    --cmake) cmake_bin=$2; shift ;;
    --build-dir) build_dir=$2; shift ;;
    --source-dir) source_dir=$2; shift ;;
    --scratch) scratch=$2; shift ;;
    --cxx) cxx=$2; shift ;;
    --generator) generator=$2; shift ;;
    --make-program) make_program=$2; shift ;;
    --sanitize-flags=*) sanitize_flags=${1#*=} ;;
    *) usage ;;
    esac
    shift
done
for required in "$cmake_bin" "$build_dir" "$source_dir" "$scratch" "$cxx" "$generator"; do
    [[ -n "$required" ]] || usage
done

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
step() {
    echo
    echo "--- $*"
}

# A clean slate every run: nothing from an earlier install may satisfy a check.
prefix=$scratch/prefix
rm -rf "$scratch"
mkdir -p "$scratch"

step "cmake --install $build_dir --prefix $prefix"
"$cmake_bin" --install "$build_dir" --prefix "$prefix"

pc_file=$(find "$prefix" -path '*/pkgconfig/libconf.pc' -print -quit)
config_file=$(find "$prefix" -path '*/cmake/libconf/libconfConfig.cmake' -print -quit)
lib_file=$(find "$prefix" -name 'libconf.so.*' -type f -print -quit)
[[ -n "$pc_file" ]] || fail "no pkgconfig/libconf.pc installed under $prefix"
[[ -n "$config_file" ]] || fail "no cmake/libconf/libconfConfig.cmake installed under $prefix"
[[ -n "$lib_file" ]] || fail "no libconf.so.* installed under $prefix"
libdir=$(dirname "$lib_file")
include_dir=$prefix/include
for header in engine.hpp status.hpp version.hpp export.hpp; do
    [[ -f "$include_dir/conf/$header" ]] || fail "header conf/$header is not installed"
done
echo "library: $lib_file"

step "installed headers do not expose GStreamer or GLib"
if grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](gst/|glib|gobject/|gio/)' \
    "$include_dir"; then
    fail "installed headers include GStreamer or GLib headers (lines above)"
fi
# Code lines only: a comment may name a GStreamer concept.
if grep -rnE '\b(Gst[A-Z][A-Za-z]*|GMainContext|GMainLoop|GObject|GError|gpointer|gchar|gboolean)\b' \
    "$include_dir" | grep -vE '^[^:]+:[0-9]+:[[:space:]]*//'; then
    fail "installed headers mention GStreamer/GLib types (lines above)"
fi
# Each header compiles on its own with nothing but the installed include directory.
for header in "$include_dir"/conf/*.hpp; do
    echo "#include <conf/$(basename "$header")>" |
        "$cxx" -std=c++20 -fsyntax-only -Wall -Wextra -Werror -I"$include_dir" -x c++ - ||
        fail "installed header $(basename "$header") does not compile on its own"
done
echo "ok"

# Under CONF_SANITIZE the library is built with ASan+UBSan; the programs below must then be
# too (the ASan runtime has to be the first library loaded), so they get the same flags.
read -r -a extra_flags <<<"$sanitize_flags"
if ((${#extra_flags[@]} > 0)); then
    echo
    echo "sanitized libconf: building the programs with ${extra_flags[*]}"
fi

step "examples/hello_engine, standalone, with find_package(libconf)"
example_build=$scratch/hello_engine-build
configure_args=(-S "$source_dir/examples/hello_engine" -B "$example_build" -G "$generator"
    -DCMAKE_BUILD_TYPE=RelWithDebInfo
    -DCMAKE_CXX_COMPILER="$cxx"
    -DCMAKE_PREFIX_PATH="$prefix"
    # Only the scratch prefix may provide libconf, never a copy installed on the system.
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
    -DCMAKE_CXX_FLAGS="${extra_flags[*]}")
if [[ -n "$make_program" ]]; then
    configure_args+=(-DCMAKE_MAKE_PROGRAM="$make_program")
fi
"$cmake_bin" "${configure_args[@]}"
found_dir=$(sed -n 's/^libconf_DIR:PATH=//p' "$example_build/CMakeCache.txt")
[[ "$found_dir" == "$prefix"/* ]] ||
    fail "find_package(libconf) found $found_dir, not the package in $prefix"
"$cmake_bin" --build "$example_build"

hello=$example_build/hello_engine
# The build RPATH must lead to the scratch library, not to some other libconf.so.
resolved=$(ldd "$hello" | awk '$1 ~ /^libconf\.so/ {print $3}')
[[ "$resolved" == "$libdir"/* ]] ||
    fail "hello_engine loads libconf from '${resolved:-nowhere}', expected $libdir"
output=$("$hello") || fail "hello_engine exited with $?; its output: $output"
echo "$output"
version=$(sed -n 's/^Version: //p' "$pc_file")
expect() {
    grep -qF -- "$1" <<<"$output" || fail "hello_engine output lacks '$1'"
}
expect "libconf $version (headers $version)"
expect "task ran on the media thread: yes (thread 'media-hello')"
expect "main() runs on the media thread: no"
expect "engine stopped"
expect "post() after stop returns: unavailable: engine 'hello' is stopped"
if grep -qF "never prints" <<<"$output"; then
    fail "a task posted after stop ran"
fi
echo "ok"

step "one-file program with pkg-config --cflags --libs libconf"
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc_file")
pc_prefix=$(pkg-config --variable=prefix libconf)
# Compare resolved paths: a relocatable .pc spells its prefix via ${pcfiledir}/../..
if [[ "$(realpath -m "$pc_prefix")" != "$(realpath -m "$prefix")" ]]; then
    fail "libconf.pc says prefix=$pc_prefix but it was installed with --prefix $prefix;" \
        "the .pc must derive its prefix from its own location (\${pcfiledir})"
fi
read -r -a pc_flags <<<"$(pkg-config --cflags --libs libconf)"
echo "pkg-config: ${pc_flags[*]}"
if grep -qE 'gstreamer|glib' <<<"${pc_flags[*]}"; then
    fail "pkg-config flags for libconf pull in GStreamer/GLib: ${pc_flags[*]}"
fi
cat >"$scratch/pc_check.cpp" <<'CPP'
#include <conf/status.hpp>
#include <conf/version.hpp>

#include <iostream>

int main() {
    conf::Status status = conf::not_found("no room 'a'");
    std::cout << "libconf " << conf::version() << ": " << status.to_string() << "\n";
    return status.code() == conf::StatusCode::kNotFound ? 0 : 1;
}
CPP
"$cxx" "${extra_flags[@]}" "$scratch/pc_check.cpp" "${pc_flags[@]}" -o "$scratch/pc_check" ||
    fail "compiling against pkg-config's flags failed"
output=$(LD_LIBRARY_PATH=$libdir "$scratch/pc_check") ||
    fail "pc_check exited with $?; its output: $output"
echo "$output"
[[ "$output" == "libconf $version: not_found: no room 'a'" ]] ||
    fail "pc_check printed '$output'"
echo "ok"

echo
echo "install check passed"
