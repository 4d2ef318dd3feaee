#!/usr/bin/env bash
# Benchmark (not a test): what forwarding video costs confd's SFU, against Janus's videoroom
# (Debian's janus 1.1.2), under the same load from the same client, in one run on this
# machine. Prints a Markdown section on stdout (progress goes to stderr) and appends it to
# docs/benchmarks.md (not with --no-docs).
#
#   load     sfu-load (tests/bench/sfu_vs_janus/sfu_load.cpp): P publishers send copies of
#            ONE VP8 stream (videotestsrc 640x360 30 fps -> vp8enc ~800 kbps, encoded once),
#            S subscribers per publisher receive and decode one publisher each (P x S
#            track-legs), joining one at a time
#   confd    WHIP to /whip/{room}, WHEP to /whep/{room}/{publisher}; forwards RTP, no decoding
#   janus    videoroom over the REST API; janus/ here holds its configuration (HTTP on
#            127.0.0.1 only, every other plugin, transport and event handler off, ICE on "lo"
#            with loopback_shim.so preloaded, as Debian's janus skips loopback interfaces)
#
# For each server in turn: start it, start sfu-load, wait until every subscriber decodes,
# warm up, then measure a window of --seconds: the server's CPU (utime+stime from
# /proc/PID/stat), its threads and RSS (/proc/PID/status; also before the load), and the
# frames each subscriber decoded in the window (SIGUSR1 to sfu-load at both ends). A run in
# which a subscriber decodes no frame in the window is invalid: the script fails. Join
# latency is sfu-load's: a subscriber's first HTTP request -> its first decoded frame.
# Everything binds to 127.0.0.1; every process started here is stopped on exit.
#
# usage: tests/bench/sfu_vs_janus/run.sh [--publishers P] [--subscribers S] [--seconds N]
#            [--warmup S] [--build DIR] [--no-docs] [--keep]
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$script_dir/../../.." && pwd)
build=$repo/build-bench
publishers=2
subscribers=3
seconds=20
warmup=3
docs=1
keep=0
command_line="tests/bench/sfu_vs_janus/run.sh${*:+ $*}"

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}
while (($# > 0)); do
    case "$1" in
    --publishers) publishers=$2; shift ;;
    --subscribers) subscribers=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --warmup) warmup=$2; shift ;;
    --build) build=$2; shift ;;
    --no-docs) docs=0 ;;
    --keep) keep=1 ;;
    -h | --help) usage ;;
    *) echo "unknown argument: $1" >&2; usage ;;
    esac
    shift
done
for number in "$publishers" "$subscribers" "$seconds" "$warmup"; do
    [[ "$number" =~ ^[0-9]+$ && "$number" -gt 0 ]] || { echo "not a positive number: $number" >&2; exit 2; }
done
confd=$build/daemon/confd
load=$build/tests/bench/sfu-load
for program in "$confd" "$load"; do
    [[ -x "$program" ]] || { echo "not built: $program (cmake --build $build --target confd sfu-load)" >&2; exit 2; }
done
for tool in janus cc /usr/bin/python3 awk getconf; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool (janus: apt-get install janus)" >&2; exit 2; }
done
janus_lib=$(dirname "$(dirname "$(find /usr/lib -path '*/janus/plugins/libjanus_videoroom.so' -print -quit)")")
[[ -f "$janus_lib/transports/libjanus_http.so" ]] || { echo "Janus's videoroom or HTTP transport is not installed" >&2; exit 2; }

scratch=$(mktemp -d /tmp/sfu-bench.XXXXXX)
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    if ((keep)); then
        echo "kept $scratch" >&2
    else
        rm -rf "$scratch"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
say() { echo "[bench] $*" >&2; }
die() {
    echo "[bench] FAILED: $*" >&2
    exit 1
}
clk_tck=$(getconf CLK_TCK)
participants=$((publishers + publishers * subscribers))
legs=$((publishers * subscribers))

# Waits until `pattern` appears in `file` (grep -E), for at most `seconds`.
wait_for_line() {
    local file=$1 pattern=$2 limit=$3 pid=${4:-}
    local deadline=$((SECONDS + limit))
    until grep -Eq "$pattern" "$file" 2>/dev/null; do
        ((SECONDS < deadline)) || return 1
        if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
            return 1
        fi
        sleep 0.05
    done
}

# Stops a process we started with `signal` and waits at most `limit` seconds before SIGKILL.
# Sets stop_rc to its exit status.
stop_process() {
    local pid=$1 signal=$2 limit=$3
    kill "-$signal" "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + limit))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
    stop_rc=0
    wait "$pid" 2>/dev/null || stop_rc=$?
}

# utime+stime (clock ticks) of a process or thread from its stat file; the comm field may
# hold spaces, so count fields after the last ')'.
ticks_of() {
    local stat
    stat=$(<"$1") || { echo 0; return; }
    stat=${stat##*) }
    read -r -a fields <<<"$stat"
    echo $((fields[11] + fields[12]))
}

# "TID TICKS COMM" for every thread of PID, in one awk (quick enough to sit at the window's
# edges); a thread that ends meanwhile is skipped.
thread_snapshot() {
    awk '{
        first = index($0, "("); last = length($0)
        while (substr($0, last, 1) != ")") last--
        comm = substr($0, first + 1, last - first - 1); gsub(/ /, "_", comm)
        split(substr($0, last + 2), f, " ")
        print $1, f[12] + f[13], comm
    }' /proc/"$1"/task/*/stat 2>/dev/null || true
}

status_field() { awk -v f="$2:" '$1 == f {print $2}' /proc/"$1"/status; }

free_port() {
    /usr/bin/python3 -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# A Python expression over sfu-load's JSON lines of one event: `marks` (all of them) and
# `last`.
load_json() {
    /usr/bin/python3 - "$@" <<'PY'
import json, sys
path, event, expression = sys.argv[1:4]
lines = [json.loads(l) for l in open(path) if l.strip().startswith("{")]
lines = [l for l in lines if l.get("event") == event]
if not lines:
    sys.exit(1)
print(eval(expression, {"marks": lines, "last": lines[-1]}))
PY
}

start_confd() {
    local dir=$1 limit=$((participants + 16))
    # The default profile records no room: confd only forwards.
    cat >"$dir/confd.json" <<EOF
{ "limits": { "max_sessions": $((limit > 64 ? limit : 64)), "max_sessions_per_room": $limit } }
EOF
    "$confd" --config "$dir/confd.json" --http 127.0.0.1:0 --grpc 127.0.0.1:0 \
        --data-dir "$dir/data" >"$dir/server.log" 2>&1 &
    server_pid=$!
    pids+=("$server_pid")
    wait_for_line "$dir/server.log" '^confd listening on http://127\.0\.0\.1:[0-9]+/' 15 "$server_pid" ||
        die "confd did not start; see $dir/server.log"
    server_url=$(sed -n 's|^confd listening on \(http://127\.0\.0\.1:[0-9]*\)/.*|\1|p' "$dir/server.log")
    server_stop_signal=TERM
}

shim=$scratch/loopback_shim.so
cc -shared -fPIC -O2 -Wall -Wextra -Werror -o "$shim" "$script_dir/loopback_shim.c" -ldl

start_janus() {
    local dir=$1 port config
    port=$(free_port)
    mkdir -p "$dir/janus"
    for config in "$script_dir"/janus/*.jcfg; do
        sed -e "s|@JANUS_LIB@|$janus_lib|g" -e "s|@HTTP_PORT@|$port|g" \
            -e "s|@PUBLISHERS@|$((publishers > 6 ? publishers : 6))|g" \
            "$config" >"$dir/janus/${config##*/}"
    done
    (cd "$dir" && LD_PRELOAD="$shim" exec janus -F "$dir/janus" -o) >"$dir/server.log" 2>&1 &
    server_pid=$!
    pids+=("$server_pid")
    wait_for_line "$dir/server.log" 'JANUS REST \(HTTP/HTTPS\) transport plugin initialized' 15 "$server_pid" ||
        die "janus did not start; see $dir/server.log"
    server_url=http://127.0.0.1:$port/janus
    server_stop_signal=INT
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
say "load average before: $load_before; scratch $scratch"
say "load: $publishers publishers x $subscribers subscribers each = $legs track-legs, $participants participants"

declare -A cpu wall fps_min fps_mean frames_window keyframes threads_idle threads_load rss_idle \
    rss_load hwm join_median join_max cpu_load_tool retries top_threads
measure() {
    local server=$1 dir=$scratch/$1
    mkdir -p "$dir"
    say "$server: starting"
    "start_$server" "$dir"
    sleep 1
    threads_idle[$server]=$(status_field "$server_pid" Threads)
    rss_idle[$server]=$(status_field "$server_pid" VmRSS)

    "$load" --target "$server" --url "$server_url" --publishers "$publishers" \
        --subscribers "$subscribers" >"$dir/load.jsonl" 2>"$dir/load.log" &
    load_pid=$!
    pids+=("$load_pid")
    wait_for_line "$dir/load.jsonl" '"event":"(ready|done)"' $((60 + legs * 8)) "$load_pid" ||
        die "$server: sfu-load is not ready; see $dir/load.log and $dir/server.log"
    grep -q '"event":"ready"' "$dir/load.jsonl" ||
        die "$server: sfu-load failed: $(tail -n 3 "$dir/load.log")"
    say "$server: every subscriber decodes; warm-up ${warmup} s"
    sleep "$warmup"

    echo 5 >/proc/"$server_pid"/clear_refs 2>/dev/null || say "cannot reset VmHWM of $server_pid"
    # The window: process CPU, wall clock and sfu-load's frame counts (SIGUSR1 makes it print
    # them) are taken together at each edge; the thread snapshots just inside.
    local t0 t1 l0 l1 start end
    kill -USR1 "$load_pid"
    t0=$(ticks_of /proc/"$server_pid"/stat)
    start=$EPOCHREALTIME
    l0=$(ticks_of /proc/"$load_pid"/stat)
    thread_snapshot "$server_pid" >"$dir/threads0.txt"
    say "$server: measuring ${seconds} s"
    sleep "$seconds"
    thread_snapshot "$server_pid" >"$dir/threads1.txt"
    l1=$(ticks_of /proc/"$load_pid"/stat)
    end=$EPOCHREALTIME
    t1=$(ticks_of /proc/"$server_pid"/stat)
    kill -USR1 "$load_pid"
    kill -0 "$server_pid" 2>/dev/null || die "$server ended during the measurement; see $dir/server.log"
    threads_load[$server]=$(status_field "$server_pid" Threads)
    rss_load[$server]=$(status_field "$server_pid" VmRSS)
    hwm[$server]=$(status_field "$server_pid" VmHWM)
    wall[$server]=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.2f", b - a}')
    cpu[$server]=$(awk -v a="$t0" -v b="$t1" -v hz="$clk_tck" 'BEGIN {printf "%.2f", (b - a) / hz}')
    cpu_load_tool[$server]=$(awk -v a="$l0" -v b="$l1" -v hz="$clk_tck" 'BEGIN {printf "%.2f", (b - a) / hz}')
    # CPU per thread name over the window, the busiest first: "name ×count seconds", with
    # numbers in names as N and a trailing hex id as * (confd's send-<track>, Janus's
    # "hloop <handle>").
    top_threads[$server]=$(awk -v hz="$clk_tck" '
        NR == FNR {t0[$1] = $2; next}
        {name = $3; sub(/-[0-9a-f]+$/, "-*", name); gsub(/[0-9]+/, "N", name)
         t[name] += $2 - ($1 in t0 ? t0[$1] : 0); n[name]++}
        END {for (k in t) printf "%.2f\t%s\t%d\n", t[k] / hz, k, n[k]}' \
        "$dir/threads0.txt" "$dir/threads1.txt" | sort -rn | head -n 6 |
        awk -F'\t' '{printf "%s%s ×%d %s s", (NR > 1 ? ", " : ""), $2, $3, $1}')

    stop_process "$load_pid" TERM 20
    ((stop_rc == 0)) || say "$server: sfu-load exited $stop_rc; see $dir/load.log"
    stop_process "$server_pid" "$server_stop_signal" 15
    ((stop_rc == 0)) || say "$server exited $stop_rc after SIG$server_stop_signal"

    local frames
    wait_for_line "$dir/load.jsonl" '"event":"done"' 1 || die "$server: sfu-load printed no result; see $dir/load.log"
    [[ $(grep -c '"event":"mark"' "$dir/load.jsonl") -ge 2 ]] || die "$server: sfu-load did not mark the window"
    # Frames decoded in the window, per subscriber.
    frames=$(load_json "$dir/load.jsonl" mark \
        '" ".join(str(b - a) for a, b in zip(marks[-2]["frames"], marks[-1]["frames"]))')
    say "$server: frames per subscriber in the window: $frames"
    for f in $frames; do
        ((f > 0)) || die "$server: a subscriber decoded no frame in the window ($frames): the run is invalid; see $dir/"
    done
    frames_window[$server]=$(echo "$frames" | awk '{for (i = 1; i <= NF; i++) s += $i; print s}')
    # Frame rates over sfu-load's own time between its two marks.
    local marks_s
    marks_s=$(load_json "$dir/load.jsonl" mark 'marks[-1]["t_s"] - marks[-2]["t_s"]')
    fps_min[$server]=$(echo "$frames" | awk -v w="$marks_s" '{m = $1; for (i = 2; i <= NF; i++) if ($i < m) m = $i; printf "%.1f", m / w}')
    fps_mean[$server]=$(echo "$frames" | awk -v w="$marks_s" '{for (i = 1; i <= NF; i++) s += $i; printf "%.1f", s / NF / w}')
    keyframes[$server]=$(load_json "$dir/load.jsonl" mark 'marks[-1]["encoded_keyframes"] - marks[-2]["encoded_keyframes"]')
    join_median[$server]=$(load_json "$dir/load.jsonl" "done" '"%.0f" % last["request_to_first_frame_median_ms"]')
    join_max[$server]=$(load_json "$dir/load.jsonl" "done" '"%.0f" % last["request_to_first_frame_max_ms"]')
    retries[$server]=$(load_json "$dir/load.jsonl" "done" 'last["retries"]')
    [[ $(load_json "$dir/load.jsonl" "done" 'last["ok"]') == True ]] ||
        say "$server: sfu-load reports errors: $(load_json "$dir/load.jsonl" "done" 'last["errors"]')"
    say "$server: CPU ${cpu[$server]} s in ${wall[$server]} s"
}

measure confd
measure janus
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report -------------------------------------------------------------------------------
f2() { awk -v v="$1" 'BEGIN {printf "%.2f", v}'; }
pct() { awk -v c="$1" -v w="$2" 'BEGIN {printf "%.1f %%", c / w * 100}'; }
# CPU ms per second of wall time for one track-leg (= thousandths of a core per leg).
per_leg() { awk -v c="$1" -v w="$2" -v n="$legs" 'BEGIN {printf "%.2f", c / w / n * 1000}'; }
per_frame_us() { awk -v c="$1" -v f="$2" 'BEGIN {if (f > 0) printf "%.0f", c / f * 1e6; else print "?"}'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
per_participant_mib() { awk -v a="$1" -v b="$2" -v n="$participants" 'BEGIN {printf "%.2f", (b - a) / 1024 / n}'; }
per_participant() { awk -v a="$1" -v b="$2" -v n="$participants" 'BEGIN {printf "%.1f", (b - a) / n}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f×", a / b; else print "n/a"}'; }
leg_confd=$(per_leg "${cpu[confd]}" "${wall[confd]}")
leg_janus=$(per_leg "${cpu[janus]}" "${wall[janus]}")
row() {
    local s=$1 label=$2
    echo "| $label | ${cpu[$s]} s / ${wall[$s]} s | $(pct "${cpu[$s]}" "${wall[$s]}") | $(per_leg "${cpu[$s]}" "${wall[$s]}") | $(per_frame_us "${cpu[$s]}" "${frames_window[$s]}") | ${threads_idle[$s]} → ${threads_load[$s]} ($(per_participant "${threads_idle[$s]}" "${threads_load[$s]}")) | $(mib "${rss_idle[$s]}") → $(mib "${rss_load[$s]}") ($(per_participant_mib "${rss_idle[$s]}" "${rss_load[$s]}")) | ${join_median[$s]} / ${join_max[$s]} | ${fps_min[$s]} / ${fps_mean[$s]} |"
}
janus_version=$( (janus --version 2>/dev/null || true) | sed -n 's/^Janus version: [0-9]* (\(.*\))/\1/p')
report=$(
    cat <<EOF
### Run of $(date -u +%Y-%m-%d\ %H:%M) UTC

- command: \`$command_line\`; build \`${build#"$repo"/}\` of HEAD \`$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo ?)\`$(git -C "$repo" diff --quiet HEAD 2>/dev/null || echo " with uncommitted changes")
- machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), kernel $(uname -r); $("$confd" --version 2>/dev/null), Janus $janus_version, GStreamer $(gst-launch-1.0 --version 2>/dev/null | sed -n 's/^GStreamer //p' | head -n 1)
- load average $load_before before, $load_after after
- load: $publishers publishers × $subscribers subscribers each = **$legs track-legs** (VP8 640x360 30 fps, ~800 kbps), $participants participants; warm-up ${warmup} s after every subscriber decodes, then a window of ${seconds} s; confd first, then Janus

| server | CPU in the window | % of one core | **CPU ms/s per track-leg** | CPU µs per forwarded frame | threads idle → loaded (per participant) | RSS MiB idle → loaded (per participant) | join → first frame ms, median / max | frames/s per subscriber, min / mean |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
$(row confd "confd (WHIP/WHEP)")
$(row janus "Janus $janus_version videoroom")

- **confd / Janus, CPU per track-leg: $(ratio "$leg_confd" "$leg_janus")**
- CPU = utime+stime of the server process over the window (/proc/PID/stat, $((1000 / clk_tck)) ms ticks); "per track-leg" divides by wall time and by $legs legs (ms of CPU per second = thousandths of a core); "per forwarded frame" divides by the frames all subscribers decoded in the window (confd ${frames_window[confd]}, Janus ${frames_window[janus]})
- threads and RSS from /proc/PID/status 1 s after start (idle) and at the end of the window; "per participant" is the growth divided by $participants; peak RSS in the window (VmHWM): confd $(mib "${hwm[confd]}") MiB, Janus $(mib "${hwm[janus]}") MiB
- join → first frame: from a subscriber's first HTTP request (confd: the WHEP POST; Janus: attach, then join) to its first decoded frame, subscribers joining one at a time, ≥ 1.5 s apart; retried requests: confd ${retries[confd]}, Janus ${retries[janus]}
- keyframes the shared encoder made in the window (keyframe-max-dist 60 gives $((seconds / 2)); more are keyframe requests): confd ${keyframes[confd]}, Janus ${keyframes[janus]}
- sfu-load's own CPU in the window (encode once, $legs decodes, $participants webrtcbins): with confd ${cpu_load_tool[confd]} s, with Janus ${cpu_load_tool[janus]} s
- busiest server threads in the window (name ×count CPU s): confd: ${top_threads[confd]}; Janus: ${top_threads[janus]}
EOF
)
echo "$report"
if ((docs)); then
    # At the end of the section "## SFU forwarding: confd vs Janus videoroom" (made if missing).
    /usr/bin/python3 - "$repo/docs/benchmarks.md" "$report" <<'PY'
import sys
path, report = sys.argv[1], sys.argv[2]
heading = "## SFU forwarding: confd vs Janus videoroom"
lines = open(path).read().rstrip("\n").split("\n")
if heading not in lines:
    lines += ["", heading, "", "Runs of `tests/bench/sfu_vs_janus/run.sh`, oldest first."]
start = lines.index(heading)
end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
while end > start + 1 and lines[end - 1] == "":
    end -= 1
lines[end:end] = [""] + report.split("\n")
open(path, "w").write("\n".join(lines) + "\n")
PY
    say "appended to docs/benchmarks.md"
fi
