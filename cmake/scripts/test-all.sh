#!/usr/bin/env bash
# Command (b): everything CI checks, on a fresh Debian 12 machine, as root.
#   1. dependencies (cmake/scripts/install-deps.sh; a no-op when all are installed)
#   2. formatting of every C++ file in the repository (clang-format --dry-run -Werror)
#   3. build/       RelWithDebInfo, -Werror; ctest
#   4. build-asan/  Debug, -Werror, ASan+UBSan; ctest with leak checking
# Independent phases all run, so one report shows every problem; a phase whose build failed
# skips its tests. Exits non-zero if anything failed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

jobs=$(nproc)
ctest_args=(--output-on-failure -j2 --timeout 300 --no-tests=error)

# ccache keeps reruns fast. Its default cache (~/.cache/ccache) survives fresh clones, and
# CCACHE_BASEDIR makes paths inside the repository relative so another clone hits it too.
export CCACHE_DIR="${CCACHE_DIR:-${HOME:-$root}/.cache/ccache}"
export CCACHE_BASEDIR="$root"
if [[ "${CI:-}" == true ]]; then
    # CI clones the repository afresh for every run; share objects across those directories
    # (the cost: debug info of a cache hit names the directory it was first compiled in).
    export CCACHE_NOHASHDIR=true
fi

# --- phases ---------------------------------------------------------------------------------

phase_deps() {
    bash cmake/scripts/install-deps.sh
}

phase_format() {
    local files=() bad=() f
    if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        echo "not a git work tree: cannot list the files to check" >&2
        return 1
    fi
    # Tracked files plus new ones not yet added (but not ignored ones such as build trees).
    while IFS= read -r -d '' f; do
        [[ -f "$f" ]] && files+=("$f")
    done < <(git ls-files -z --cached --others --exclude-standard -- \
        '*.cpp' '*.hpp' '*.cc' '*.h' '*.c' | sort -zu)
    echo "$(clang-format --version): checking ${#files[@]} files"
    for f in "${files[@]}"; do
        if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
            bad+=("$f")
        fi
    done
    if ((${#bad[@]} > 0)); then
        echo "these files are not clang-formatted:"
        printf '  %s\n' "${bad[@]}"
        echo "fix with: clang-format -i ${bad[*]}"
        return 1
    fi
    echo "all formatted"
}

configure_and_build() {
    local dir=$1
    shift
    cmake -S . -B "$dir" -G Ninja -DCONF_WERROR=ON "$@"
    cmake --build "$dir" -j "$jobs"
}

run_ctest() {
    local dir=$1
    # The log feeds the test counts in the summary.
    ctest --test-dir "$dir" "${ctest_args[@]}" 2>&1 | tee "$dir/test-all-ctest.log"
}

phase_build() {
    configure_and_build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
}

phase_test() {
    run_ctest build
}

phase_asan_build() {
    # The build runs the test binaries to list their test cases (catch_discover_tests):
    # give them the same sanitizer options as the test run.
    # shellcheck source=cmake/scripts/sanitizer-env.sh
    source cmake/scripts/sanitizer-env.sh
    configure_and_build build-asan -DCMAKE_BUILD_TYPE=Debug -DCONF_SANITIZE=ON
}

phase_asan_test() {
    # shellcheck source=cmake/scripts/sanitizer-env.sh
    source cmake/scripts/sanitizer-env.sh
    echo "ASAN_OPTIONS=$ASAN_OPTIONS"
    echo "LSAN_OPTIONS=$LSAN_OPTIONS"
    echo "UBSAN_OPTIONS=$UBSAN_OPTIONS"
    run_ctest build-asan
}

# --- bookkeeping ----------------------------------------------------------------------------

summary=()
failures=()
tests_passed=0
tests_failed=0
run_start=$SECONDS

# run_phase NAME FUNCTION: runs FUNCTION in a subshell with errexit on, times it, records it,
# and leaves its exit code in phase_rc. Call it as a plain command, never in a condition
# (`if run_phase`, `run_phase || x`): bash ignores errexit inside those, even in subshells.
phase_rc=0
run_phase() {
    local name=$1 fn=$2 start=$SECONDS
    echo
    echo "==> $name"
    set +e
    (
        set -e
        "$fn"
    )
    phase_rc=$?
    set -e
    local took=$((SECONDS - start)) result=ok
    if ((phase_rc != 0)); then
        result=FAILED
        failures+=("$name")
    fi
    echo "<== $name: $result (${took}s)"
    summary+=("$(printf '  %-12s %-8s %5ss' "$name" "$result" "$took")")
}

skip_phase() {
    echo
    echo "==> $1: skipped ($2)"
    summary+=("$(printf '  %-12s %-8s (%s)' "$1" skipped "$2")")
    failures+=("$1")
}

# Adds "N% tests passed, F tests failed out of T" from a ctest log to the totals.
count_tests() {
    local log=$1/test-all-ctest.log line failed total
    line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" 2>/dev/null |
        tail -n 1 || true)
    if [[ -z "$line" ]]; then
        summary[-1]+="  (no ctest summary)"
        return
    fi
    failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
    total=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
    tests_passed=$((tests_passed + total - failed))
    tests_failed=$((tests_failed + failed))
    summary[-1]+="  $((total - failed)) passed, $failed failed"
}

ccache_counts() {
    ccache --print-stats 2>/dev/null |
        awk '$1 ~ /^(direct|preprocessed)_cache_hit$/ {h += $2} $1 == "cache_miss" {m += $2}
             END {print h + 0, m + 0}'
}

# --- run --------------------------------------------------------------------------------------

read -r hits0 misses0 < <(ccache_counts)

run_phase deps phase_deps
if ((phase_rc != 0)); then
    echo "test-all: cannot continue without the dependencies" >&2
    exit 1
fi
run_phase format phase_format

run_phase build phase_build
if ((phase_rc == 0)); then
    run_phase test phase_test
    count_tests build
else
    skip_phase test "build failed"
fi

run_phase asan-build phase_asan_build
if ((phase_rc == 0)); then
    run_phase asan-test phase_asan_test
    count_tests build-asan
else
    skip_phase asan-test "asan-build failed"
fi

read -r hits1 misses1 < <(ccache_counts)

echo
echo "==> summary"
printf '%s\n' "${summary[@]}"
echo "  total        $((SECONDS - run_start))s; ccache: $((hits1 - hits0)) hits, $((misses1 - misses0)) misses"
if ((${#failures[@]} > 0)); then
    echo "  FAILED: ${failures[*]}"
fi
echo "tests: ${tests_passed} passed, ${tests_failed} failed"
((${#failures[@]} == 0))
