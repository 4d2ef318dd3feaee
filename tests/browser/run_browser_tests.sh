#!/usr/bin/env bash
# Runs the browser tests (publish.test.js, room.test.js, join_auth.test.js; support.js is
# their shared code) the way ctest does:
#   CONFD_PATH=build/daemon/confd bash tests/browser/run_browser_tests.sh [WORK_DIR [TEST.js ...]]
# 1. checks every tool they need and fails loudly (never skips) when one is missing;
# 2. installs playwright-core exactly as package-lock.json pins it into WORK_DIR/node_modules
#    (default: beside this script), with `npm ci --offline` from npm's cache when it can and
#    `npm ci` otherwise, and only when the lock file changed since the last install;
# 3. runs `node --test` on the named test files (default: all).
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=${1:-$src}
chromium=${CHROMIUM_PATH:-/usr/bin/chromium}

fail() {
    echo "browser tests: $*" >&2
    exit 1
}

command -v node >/dev/null || fail "node is missing: install Debian's nodejs (Node.js >= 20)"
command -v npm >/dev/null || fail "npm is missing: it comes with Node.js >= 20"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
    fail "node $(node --version) is too old: playwright-core needs Node.js >= 20"
[[ -x "$chromium" ]] || fail "$chromium is missing: install Debian's chromium package"
command -v "${FFPROBE_PATH:-ffprobe}" >/dev/null ||
    fail "ffprobe is missing: install Debian's ffmpeg package"
[[ -n "${CONFD_PATH:-}" && -x "$CONFD_PATH" ]] ||
    fail "CONFD_PATH must name the confd binary (got '${CONFD_PATH:-}')"
CONFD_PATH=$(realpath "$CONFD_PATH") # the tests run from WORK_DIR
export CONFD_PATH

mkdir -p "$work"
if [[ "$work" != "$src" ]]; then
    cp "$src/package.json" "$src/package-lock.json" "$work/"
fi
stamp="$work/node_modules/.confd-lock-sha256"
lock_sum=$(sha256sum "$work/package-lock.json" | cut -d' ' -f1)
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$lock_sum" ]]; then
    echo "browser tests: installing playwright-core into $work/node_modules"
    cd "$work"
    if ! npm ci --offline --no-audit --no-fund >npm-ci-offline.log 2>&1; then
        echo "browser tests: not all in npm's cache (see $work/npm-ci-offline.log); npm ci online"
        npm ci --no-audit --no-fund
    fi
    cd - >/dev/null
    echo "$lock_sum" >"$stamp"
fi

cd "$work"
# NODE_PATH: the test file stays in the source tree and finds playwright-core in WORK_DIR.
# The test files to run are the arguments after WORK_DIR (default: all of them).
tests=("${@:2}")
((${#tests[@]} > 0)) || tests=(publish.test.js room.test.js join_auth.test.js)
NODE_PATH="$work/node_modules" exec node --test "${tests[@]/#/$src/}"
