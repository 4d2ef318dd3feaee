#!/usr/bin/env bash
# Command (a): install the dependencies, build, and run confd in the foreground on its
# embedded default configuration, keeping its state in ./var at the repository root.
# Extra arguments go to confd:  bash cmake/scripts/run-confd.sh --help
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

bash cmake/scripts/install-deps.sh

# Same ccache setup as test-all.sh, so either command warms the cache for the other.
export CCACHE_DIR="${CCACHE_DIR:-${HOME:-$root}/.cache/ccache}"
export CCACHE_BASEDIR="$root"

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$(nproc)"

confd=build/daemon/confd
if [[ ! -x "$confd" ]]; then
    echo "run-confd: the build produced no $confd (is daemon/ building confd yet?)" >&2
    exit 1
fi
mkdir -p var
exec "$confd" --data-dir ./var "$@"
