#!/usr/bin/env bash
# Installs what building and testing libconf/confd needs on Debian 12, as root.
# Idempotent: when every package is already installed it changes nothing and touches no
# network, so the two commands in README.md can call it on every run.
#
#   bash cmake/scripts/install-deps.sh           install whatever is missing
#   bash cmake/scripts/install-deps.sh --check   only list what is missing (exit 1 if any)
set -euo pipefail

# The one list of packages. Add new ones to the group they belong to.
packages=(
    # Build tools. clang-tidy-16 besides the default clang-tidy (14): clang 14 cannot parse
    # std::source_location from GCC 12's libstdc++, which core/log.hpp uses.
    build-essential cmake ninja-build pkg-config ccache clang-format clang-tidy clang-tidy-16 git

    # GStreamer: headers, the plugins libconf and the tests use, and the command-line tools
    libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
    gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
    gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-nice gstreamer1.0-tools
    gstreamer1.0-plugins-base-apps
    # textoverlay (the pango plugin): names under the video compositor's tiles
    gstreamer1.0-x

    # Libraries libconf and confd link against
    libglib2.0-dev libnice-dev libssl-dev libprotobuf-dev protobuf-compiler libgrpc++-dev
    protobuf-compiler-grpc grpc-proto libfmt-dev libsoup-3.0-dev

    # Test tools: Catch2 for unit tests, clients and checkers for the end-to-end tests.
    # tests/browser drives chromium with playwright-core from npm and needs Node.js >= 20
    # (nodejs from this machine's configured apt source; it brings npm).
    catch2 curl ffmpeg chromium nodejs
    # A local RTMP server for the live-streaming tests (nginx with its RTMP module; the
    # tests start their own instance on 127.0.0.1, never the system service).
    libnginx-mod-rtmp
    # The operator API test is a Python client generated from proto/, as operators use it.
    python3-grpcio python3-grpc-tools
)

check_only=false
case "${1:-}" in
"") ;;
--check) check_only=true ;;
*)
    echo "usage: $0 [--check]" >&2
    exit 2
    ;;
esac

missing=()
for pkg in "${packages[@]}"; do
    # "ii" = wanted and installed; anything else (absent, half-configured) needs apt.
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
    if [[ "$status" != ii* ]]; then
        missing+=("$pkg")
    fi
done

if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#packages[@]} packages are installed"
    exit 0
fi

echo "install-deps: missing ${#missing[@]} package(s): ${missing[*]}"
if $check_only; then
    exit 1
fi
if ((EUID != 0)); then
    echo "install-deps: run as root (e.g. sudo bash $0) to install them" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Wait for another apt run (unattended-upgrades) instead of failing on the dpkg lock.
apt_opts=(-o DPkg::Lock::Timeout=300)

# Packages here are tools, not services: nginx's postinst would otherwise start the system
# nginx on port 80 (through invoke-rc.d, or deb-systemd-invoke under systemd). Both ask
# /usr/sbin/policy-rc.d first; exit code 101 means "do not start". One that exists already
# is the administrator's (a container's, say) and is left as it is.
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
    trap 'rm -f "$policy"' EXIT
    printf '%s\n' '#!/bin/sh' '# install-deps.sh: no service starts while it runs apt-get.' \
        'exit 101' >"$policy"
    chmod 755 "$policy"
fi
nginx_was_installed=false
if [[ "$(dpkg-query -W -f='${db:Status-Abbrev}' nginx 2>/dev/null || true)" == ii* ]]; then
    nginx_was_installed=true
fi

apt-get "${apt_opts[@]}" update
apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}"

# Nor at the next boot, when this run is what brought nginx in.
if ! $nginx_was_installed && [[ -x /etc/init.d/nginx ]]; then
    if command -v systemctl >/dev/null; then
        systemctl disable nginx.service >/dev/null 2>&1 || true
    fi
    update-rc.d nginx disable >/dev/null 2>&1 || true
fi
echo "install-deps: installed ${missing[*]}"
