#!/usr/bin/env bash
# Benchmark (not a test): what mixing a room's audio costs, libconf's AudioMixer against
# ffmpeg's amix, for rooms of N participants who all talk and all listen. One run on this
# machine; prints a Markdown table on stdout (progress goes to stderr).
#
#   sender  one gst-launch-1.0: N sine tones -> opusenc 32 kbps -> rtpopuspay, each sent over
#           UDP to both mixers (multiudpsink), so both get the very same packets
#   A       audio-mix-bench: N Opus inputs decoded once, one MixMinus bus, N mix-minus
#           outputs each encoded once (opusenc 32 kbps); with --full-only, one full mix
#   B       ffmpeg: the same N RTP inputs (SDP files) decoded once; amix cannot leave one
#           input out, so each output gets its own amix of the N-1 others (asplit feeds them):
#           N^2 - N mixer inputs, N libopus encoders at 32 kbps (-f null: encoded, not sent);
#           with --full-only, one amix of N and one encoder
#
# A and B run side by side over the same window (--measure seconds after --warmup), so both
# see the same background load. CPU is utime+stime from /proc/PID/stat over the window, as a
# percentage of one core; RSS is VmRSS at the end. The sender is not measured. Everything
# binds to 127.0.0.1; every process started here is stopped on exit.
#
# usage: tests/bench/mixing/audio_mix_minus.sh [--build DIR] [--participants "8 32"]
#            [--warmup S] [--measure S] [--full-only] [--keep]
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$script_dir/../../.." && pwd)
build=$repo/build-bench
participant_counts="8 32"
warmup=10
measure=30
full_only=0
keep=0

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}
while (($# > 0)); do
    case "$1" in
    --build) build=$2; shift ;;
    --participants) participant_counts=$2; shift ;;
    --warmup) warmup=$2; shift ;;
    --measure) measure=$2; shift ;;
    --full-only) full_only=1 ;;
    --keep) keep=1 ;;
    -h | --help) usage ;;
    *) echo "unknown argument: $1" >&2; usage ;;
    esac
    shift
done
bench=$build/tests/bench/audio-mix-bench
[[ -x "$bench" ]] || { echo "not built: $bench (ninja -C $build audio-mix-bench)" >&2; exit 2; }
for tool in gst-launch-1.0 ffmpeg awk; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 2; }
done

scratch=$(mktemp -d /tmp/audio-mix-bench.XXXXXX)
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            sleep 0.5
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

say() { echo "[bench] $*" >&2; }
die() {
    echo "[bench] FAILED: $*" >&2
    exit 1
}
clk_tck=$(getconf CLK_TCK)
# utime+stime (clock ticks); the comm field may hold spaces, so count after the last ')'.
ticks_of() {
    local stat
    stat=$(<"/proc/$1/stat") || { echo 0; return; }
    stat=${stat##*) }
    read -r -a fields <<<"$stat"
    echo $((fields[11] + fields[12]))
}
rss_mib() { awk '$1 == "VmRSS:" {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
percent() { awk -v a="$1" -v b="$2" -v hz="$clk_tck" -v s="$3" 'BEGIN {printf "%.1f", (b - a) / hz / s * 100}'; }

# Free UDP ports: 2N for the two mixers, chosen apart from the usual ephemeral range.
port_a=$((20000 + RANDOM % 10000))

run_one() {
    local n=$1 port_b=$((port_a + 1000)) i
    local dir=$scratch/n$n
    mkdir -p "$dir"

    # A: libconf
    local full_flag=()
    ((full_only)) && full_flag=(--full-only)
    "$bench" --participants "$n" --port-base "$port_a" "${full_flag[@]}" >"$dir/a.log" 2>&1 &
    local pid_a=$!
    pids+=("$pid_a")

    # B: ffmpeg, one SDP file per input
    local inputs=() graph="" outputs=() j
    for ((i = 0; i < n; i++)); do
        cat >"$dir/in$i.sdp" <<EOF
v=0
o=- 0 0 IN IP4 127.0.0.1
s=participant $i
c=IN IP4 127.0.0.1
t=0 0
m=audio $((port_b + 2 * i)) RTP/AVP 111
a=rtpmap:111 opus/48000/2
EOF
        inputs+=(-protocol_whitelist "file,udp,rtp" -i "$dir/in$i.sdp")
    done
    if ((full_only)); then
        for ((i = 0; i < n; i++)); do graph+="[$i:a]"; done
        graph+="amix=inputs=$n:normalize=0[full]"
        outputs+=(-map "[full]" -c:a libopus -b:a 32k -f null -)
    else
        for ((i = 0; i < n; i++)); do
            graph+="[$i:a]asplit=$((n - 1))"
            for ((j = 0; j < n; j++)); do ((j != i)) && graph+="[s${i}_$j]"; done
            graph+=";"
        done
        for ((j = 0; j < n; j++)); do
            for ((i = 0; i < n; i++)); do ((i != j)) && graph+="[s${i}_$j]"; done
            graph+="amix=inputs=$((n - 1)):normalize=0[o$j];"
            outputs+=(-map "[o$j]" -c:a libopus -b:a 32k -f null -)
        done
        graph=${graph%;}
    fi
    ffmpeg -hide_banner -nostdin -loglevel warning -stats_period 5 -stats "${inputs[@]}" -filter_complex "$graph" \
        "${outputs[@]}" >"$dir/b.log" 2>&1 &
    local pid_b=$!
    pids+=("$pid_b")

    # The sender: each tone to A's port and B's (ffmpeg wants even RTP ports).
    local sender=""
    for ((i = 0; i < n; i++)); do
        sender+=" audiotestsrc is-live=true wave=sine freq=$((200 + 37 * i)) volume=0.1"
        sender+=" ! audio/x-raw,rate=48000,channels=1 ! audioconvert ! opusenc bitrate=32000"
        sender+=" ! rtpopuspay pt=111"
        sender+=" ! multiudpsink clients=127.0.0.1:$((port_a + i)),127.0.0.1:$((port_b + 2 * i))"
    done
    # shellcheck disable=SC2086 # the pipeline description is meant to be split
    gst-launch-1.0 -q $sender >"$dir/sender.log" 2>&1 &
    pids+=("$!")

    say "N=$n: warming up ${warmup} s"
    sleep "$warmup"
    grep -q '^ready' "$dir/a.log" || die "audio-mix-bench did not start; see $dir/a.log"
    kill -0 "$pid_b" 2>/dev/null || die "ffmpeg ended; see $dir/b.log"
    local a0 b0 a1 b1
    a0=$(ticks_of "$pid_a")
    b0=$(ticks_of "$pid_b")
    say "N=$n: measuring ${measure} s"
    sleep "$measure"
    a1=$(ticks_of "$pid_a")
    b1=$(ticks_of "$pid_b")
    local rss_a rss_b
    rss_a=$(rss_mib "$pid_a")
    rss_b=$(rss_mib "$pid_b")
    local mode="mix-minus for each"
    ((full_only)) && mode="one full mix"
    echo "| $n | $mode | $(percent "$a0" "$a1" "$measure") % | $rss_a MiB | $(percent "$b0" "$b1" "$measure") % | $rss_b MiB |"

    local pid
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    pids=()
    grep -q '^output' "$dir/a.log" || say "audio-mix-bench printed no output counts; see $dir/a.log"
}

echo "| participants | outputs | AudioMixer CPU (of one core) | RSS | ffmpeg amix CPU | RSS |"
echo "|---|---|---|---|---|---|"
for n in $participant_counts; do
    run_one "$n"
done
