#!/usr/bin/env bash
# whip-client against the real confd (recorder profile): an HTTP error exits 1 with the
# server's JSON error; a 4 s publish is recorded, and after SIGTERM ffprobe finds VP8 1280x720
# and Opus lasting 3-5 s in the finalized recording. Run by ctest (tests/tools/CMakeLists.txt
# passes the paths). Every process it starts is killed on exit, whatever happens; the scratch
# directory stays only when a check fails. Any failure exits non-zero with a line "FAIL: ...".
set -euo pipefail

usage() {
    echo "usage: $0 --confd PATH --whip-client PATH --scratch DIR [--duration SECONDS]" >&2
    exit 2
}

confd="" client="" scratch_root="" duration=4
while (($# > 0)); do
    case "$1" in
    --confd) confd=$2; shift ;;
    --whip-client) client=$2; shift ;;
    --scratch) scratch_root=$2; shift ;;
    --duration) duration=$2; shift ;;
    *) usage ;;
    esac
    shift
done
[[ -x "$confd" && -x "$client" && -n "$scratch_root" ]] || usage

mkdir -p "$scratch_root"
work=$(mktemp -d "$scratch_root/run.XXXXXX")
confd_pid="" client_pid="" passed=0

cleanup() {
    for pid in $client_pid $confd_pid; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    if ((passed)); then
        rm -rf "$work"
    else
        echo "scratch directory kept: $work"
    fi
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*"
    for log in "$work"/*.log; do
        [[ -f "$log" ]] || continue
        echo "--- $log"
        tail -n 40 "$log"
    done
    exit 1
}

# Runs whip-client in the background (so cleanup can reach it) and waits; sets client_rc.
run_client() {
    local log=$1
    shift
    "$client" "$@" >"$log" 2>&1 &
    client_pid=$!
    client_rc=0
    wait "$client_pid" || client_rc=$?
    client_pid=""
}

# No proxy between us and 127.0.0.1, whatever the environment says.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

echo "--- starting confd (recorder profile)"
"$confd" --http 127.0.0.1:0 --grpc 127.0.0.1:0 --data-dir "$work/data" --profile recorder \
    >"$work/confd.log" 2>&1 &
confd_pid=$!
base=""
for _ in $(seq 150); do
    base=$(grep -o 'confd listening on http://127\.0\.0\.1:[0-9]*/' "$work/confd.log" |
        sed 's/^confd listening on //') || true
    [[ -n "$base" ]] && break
    kill -0 "$confd_pid" 2>/dev/null || fail "confd exited before listening"
    sleep 0.1
done
[[ -n "$base" ]] || fail "confd did not print its address within 15 s"
echo "confd at $base"

echo "--- an HTTP error: exit status 1, the status and the server's JSON error printed"
run_client "$work/client-error.log" "${base}whip/a/b/c/d" --duration 1
((client_rc == 1)) || fail "whip-client exited $client_rc on a 404, expected 1"
grep -q 'POST failed: HTTP 404 Not Found: {"error":' "$work/client-error.log" ||
    fail "whip-client did not print the 404 and the server's JSON error"
grep -q 'DELETE' "$work/client-error.log" && fail "whip-client sent a DELETE without a session"
echo "ok"

echo "--- publishing for $duration s"
run_client "$work/client.log" "${base}whip/tools" --duration "$duration"
cat "$work/client.log"
((client_rc == 0)) || fail "whip-client exited $client_rc, expected 0"
grep -q "201 Created, Location: ${base}whip/tools/[0-9a-f]*$" "$work/client.log" ||
    fail "whip-client printed no Location under ${base}whip/tools/"
grep -q 'connection state: connected' "$work/client.log" || fail "never connected"
grep -q 'DELETE done: HTTP 200' "$work/client.log" || fail "the DELETE did not succeed"
echo "ok"

echo "--- SIGTERM to confd"
kill -TERM "$confd_pid"
confd_rc=0
for _ in $(seq 100); do
    kill -0 "$confd_pid" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$confd_pid" 2>/dev/null && fail "confd still runs 10 s after SIGTERM"
wait "$confd_pid" || confd_rc=$?
confd_pid=""
((confd_rc == 0)) || fail "confd exited $confd_rc after SIGTERM"
echo "ok"

echo "--- the recording"
mapfile -t manifests < <(find "$work/data/recordings/tools" -name manifest.json)
((${#manifests[@]} == 1)) || fail "expected one manifest.json, found ${#manifests[@]}"
grep -Eq '"state": *"FINALIZED"' "${manifests[0]}" || fail "manifest not FINALIZED: $(cat "${manifests[0]}")"
mapfile -t media < <(find "$(dirname "${manifests[0]}")" -name '*.webm')
((${#media[@]} == 1)) || fail "expected one .webm file, found ${#media[@]}"
probe=$(ffprobe -v error -show_entries stream=codec_type,codec_name,width,height:format=duration \
    -of default=noprint_wrappers=1 "${media[0]}") || fail "ffprobe cannot read ${media[0]}"
echo "$probe"
# Streams come one after another: codec_name, codec_type, then width/height for video.
video=$(awk -F= '/^codec_name=/ {c=$2} /^codec_type=video/ {v=c} /^width=/ {w=$2}
    /^height=/ {h=$2} END {print v, w "x" h}' <<<"$probe")
[[ "$video" == "vp8 1280x720" ]] || fail "video is '$video', expected 'vp8 1280x720'"
grep -q '^codec_name=opus$' <<<"$probe" || fail "no Opus stream"
seconds=$(sed -n 's/^duration=//p' <<<"$probe")
awk -v d="$seconds" 'BEGIN {exit !(d >= 3 && d <= 5)}' ||
    fail "recorded duration $seconds s is outside 3-5 s"
echo "ok: VP8 1280x720 + Opus, $seconds s"
passed=1
