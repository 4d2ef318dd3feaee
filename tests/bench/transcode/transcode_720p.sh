#!/usr/bin/env bash
# Benchmark (not a test): what transcoding a 1280x720 30 fps VP8 track to H.264 costs in
# libconf (conf::Transcoder) against a bare gst-launch-1.0 pipeline doing the same decode +
# encode with the same settings, for N streams at once. Prints Markdown tables on stdout
# (progress goes to stderr).
#
#   sender  one gst-launch-1.0 replaying N pre-encoded 1280x720@30 VP8 clips (moving
#           videotestsrc patterns with a running clock: vp8enc realtime, cpu-used 8, CBR
#           --input-kbps, keyframe every 2 s) in real time -> rtpvp8pay -> multiudpsink to
#           both sides, so both get the very same packets. The clips are encoded once, before
#           the first run, and kept in ${TMPDIR:-/tmp}/transcode-bench-clips. Not measured.
#   A       conf_transcode_bench: per stream a udpsrc handed over as a ReceivedTrack (as an
#           Endpoint does) to a conf::Transcoder to H.264 (EncoderSelector's pick, x264enc
#           "tune=zerolatency speed-preset=veryfast byte-stream=false", --bitrate-kbps, a
#           keyframe every 60 frames, the source's size) whose RTP output a subscriber counts
#           and drops.
#   B       gst-launch-1.0, per stream:
#             bare (default): udpsrc ! rtpvp8depay ! vp8dec ! videoconvert ! x264enc (the same
#               properties) ! video/x-h264,profile=constrained-baseline ! rtph264pay (the
#               Transcoder's: mtu 1200, config-interval -1, aggregate-mode zero-latency)
#               ! udpsink to the counter
#             matched (--baseline matched): the Transcoder's own element chain (rtpjitterbuffer
#               latency 50, videoscale, I420 capsfilter, a 2-buffer leaky queue before the
#               encoder), so only libconf's plumbing around it differs.
#           Both keep the elements' default thread settings (x264enc threads=0, vp8dec
#           threads=0), as the Transcoder does. B's RTP goes over UDP to a third
#           gst-launch-1.0 (the counter: rtph264depay ! identity silent=false, whose -v
#           line per frame is counted; not measured), so B's only extra work is a sendto per
#           packet (counting in B itself by printing a line per frame cost B 1-3 %).
#
# A and B run side by side over the same window (--seconds after --warmup, counted from both
# sides' first output frame), so both see the same background load; --side turns runs A alone
# and then B alone in adjacent windows instead (for N where both together would not fit in
# the cores). CPU is utime+stime from /proc/PID/stat over the window, as a percentage of one
# core; fps is output frames in the window per stream (A: RTP marker bits; B: the counter's
# lines), the lowest stream's shown; a run where any stream's fps is under 29 is invalid and
# left out of the medians. Each N runs --runs times (the runs interleaved: run 1 of every N,
# then run 2, ...); the ratio A/B is taken per run and its median reported. A's CPU is also
# split by thread (schedstat run time, grouped by thread name), and B's with --baseline
# matched (whose threads are the same). Everything binds to 127.0.0.1; every process started
# here is stopped on exit.
#
# --nice N runs A, B and the sender each in a session (so an autogroup) of its own at nice N
# (negative: root), so that a parallel build in another session does not get half the
# machine however busy the benchmark is (see compose_720p.sh).
#
# usage: tests/bench/transcode/transcode_720p.sh [--build DIR] [--streams "1 2 4"]
#            [--seconds S] [--runs R] [--warmup S] [--bitrate-kbps K] [--input-kbps K]
#            [--baseline bare|matched] [--side both|turns] [--nice N] [--keep]
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$script_dir/../../.." && pwd)
build=$repo/build-bench
stream_counts="1 2 4"
seconds=30
runs=3
warmup=5
bitrate_kbps=1500
input_kbps=2000
baseline=bare
side=both
nice_level=0
keep=0

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}
while (($# > 0)); do
    case "$1" in
    --build) build=$2; shift ;;
    --streams) stream_counts=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --runs) runs=$2; shift ;;
    --warmup) warmup=$2; shift ;;
    --bitrate-kbps) bitrate_kbps=$2; shift ;;
    --input-kbps) input_kbps=$2; shift ;;
    --baseline) baseline=$2; shift ;;
    --side) side=$2; shift ;;
    --nice) nice_level=$2; shift ;;
    --keep) keep=1 ;;
    -h | --help) usage ;;
    *) echo "unknown argument: $1" >&2; usage ;;
    esac
    shift
done
case "$baseline" in bare | matched) ;; *) usage ;; esac
case "$side" in both | turns) ;; *) usage ;; esac
((seconds >= 5 && runs >= 1 && warmup >= 0)) || usage
bench=$build/tests/bench/conf_transcode_bench
[[ -x "$bench" ]] || { echo "not built: $bench (cmake --build $build --target conf_transcode_bench)" >&2; exit 2; }
for tool in gst-launch-1.0 awk setsid; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 2; }
done
# setsid runs the command itself (no fork: a background job of this script, which has no job
# control, never leads its process group), so $! is the command's pid.
run=(setsid nice -n "$nice_level")

scratch=$(mktemp -d /tmp/transcode-bench.XXXXXX)
pids=()
stop_all() {
    local pid
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        # A process that ignores TERM gets KILL after 10 s.
        for _ in $(seq 20); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    pids=()
}
cleanup() {
    stop_all
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
# A sleep that a signal interrupts (bash runs traps only between commands).
pause() {
    sleep "$1" &
    pids+=("$!")
    wait "$!"
}
# After starting a process with run: once it leads its own session, its autogroup at the
# same nice level.
prioritise() {
    ((nice_level != 0)) || return 0
    local stat fields=()
    for _ in $(seq 100); do
        stat=$(<"/proc/$1/stat") || die "process $1 ended"
        read -r -a fields <<<"${stat##*) }"
        ((fields[3] == $1)) && break
        sleep 0.02
    done
    ((fields[3] == $1)) || die "process $1 is not in a session of its own"
    echo "$nice_level" >"/proc/$1/autogroup" || die "cannot renice the autogroup of $1"
}
clk_tck=$(getconf CLK_TCK)
# utime+stime (clock ticks); the comm field may hold spaces, so count after the last ')'.
ticks_of() {
    local stat fields=()
    stat=$(<"/proc/$1/stat") || { echo 0; return; }
    stat=${stat##*) }
    read -r -a fields <<<"$stat"
    echo $((fields[11] + fields[12]))
}
rss_mib() { awk '$1 == "VmRSS:" {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
# One line per thread: tid, name (comm, spaces as _), run time in ns (schedstat).
threads_of() {
    local task comm ns
    for task in /proc/"$1"/task/*; do
        comm=$(tr ' ' '_' <"$task/comm" 2>/dev/null) || continue
        ns=$(cut -d' ' -f1 "$task/schedstat" 2>/dev/null) || continue
        echo "${task##*/} $comm $ns"
    done
}
# A's stats line (SIGUSR1 makes conf_transcode_bench print one): "<bytes> <frames_each>".
a_stats() {
    local before
    before=$(grep -c '^stats' "$2" || true)
    kill -USR1 "$1"
    for _ in $(seq 100); do
        (($(grep -c '^stats' "$2" || true) > before)) && break
        sleep 0.02
    done
    grep '^stats' "$2" | tail -n 1 | sed -E 's/.* bytes=([0-9]+) .*frames_each=([0-9,]+).*/\1 \2/'
}
# B's counts so far from the counter's lines: "<bytes> <frames_each>" (H.264 bytes, no RTP).
b_stats() {
    awk -v n="$2" '
        match($0, /GstIdentity:count[0-9]+: last-message = chain/) {
            id = substr($0, RSTART + 17) + 0; frames[id]++
            if (match($0, /\(count[0-9]+:sink\) \([0-9]+ bytes/)) {
                s = substr($0, RSTART, RLENGTH); sub(/.*\(/, "", s); bytes += s + 0
            }
        }
        END {
            printf "%d ", bytes
            for (i = 0; i < n; i++) printf "%s%d", (i ? "," : ""), frames[i]
            printf "\n"
        }' "$1"
}
# "first last seconds" -> "<kbps> <lowest stream fps>"
rates() {
    awk -v f="$1" -v l="$2" -v s="$3" 'BEGIN {
        split(f, a, " "); split(l, b, " "); n = split(a[2], fa, ","); split(b[2], fb, ",");
        low = -1
        for (i = 1; i <= n; i++) { r = (fb[i] - fa[i]) / s; if (low < 0 || r < low) low = r }
        printf "%.0f %.1f\n", (b[1] - a[1]) * 8 / 1000 / s, low}'
}
percent() { awk -v a="$1" -v b="$2" -v hz="$clk_tck" -v s="$3" 'BEGIN {printf "%.1f", (b - a) / hz / s * 100}'; }
# Threads by group, % of one core over the window: "receive decode encode other".
thread_split() {
    awk -v s="$seconds" '
        function group(c) {
            if (c == "src:src" || c ~ /^udpsrc[0-9]*:src/) return "receive";
            if (c ~ /^rtpjitterbuffer/) return "decode";
            if (c == "encode-queue:sr" || c ~ /^queue[0-9]*:src/) return "encode";
            return "other";
        }
        FNR == NR {start[$1] = $3; next}
        {ns[group($2)] += $3 - (($1 in start) ? start[$1] : 0)}
        END {
            split("receive decode encode other", order, " ");
            for (i = 1; i <= 4; i++) printf "%.1f ", ns[order[i]] / (s * 1e9) * 100;
            printf "\n"
        }' "$1" "$2"
}

port_a=$((20000 + RANDOM % 10000))
port_b=$((port_a + 100))
port_c=$((port_a + 200))
max_n=0
for n in $stream_counts; do
    ((n >= 1)) || die "streams must be at least 1: $n"
    if ((n > max_n)); then max_n=$n; fi
done
# Camera-like enough for the encoders: every pattern moves (the ball by itself), with a
# running clock; all reach 1.6-2.1 Mbps at 2000 kbps CBR.
patterns=("smpte horizontal-speed=2" "pinwheel horizontal-speed=2" "circular horizontal-speed=3"
    "zone-plate kx2=20 ky2=20 kt=1" "gamut horizontal-speed=2" "ball" "spokes horizontal-speed=2"
    "colors horizontal-speed=2")
((max_n <= ${#patterns[@]})) || die "at most ${#patterns[@]} streams"
vp8_caps="application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=96"
x264=(x264enc tune=zerolatency speed-preset=veryfast byte-stream=false "bitrate=$bitrate_kbps"
    key-int-max=60)
h264_caps="video/x-h264,profile=constrained-baseline"
h264_rtp_caps="application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,payload=102"
h264_pay=(rtph264pay pt=102 mtu=1200 config-interval=-1 aggregate-mode=zero-latency)
# Up to the first frames on both sides (the decoders wait for a keyframe: 2 s), the warm-up
# and the window, with a margin.
startup_limit=20
clip_seconds=$((startup_limit + warmup + seconds + 15))

clips=${TMPDIR:-/tmp}/transcode-bench-clips/${input_kbps}k-${clip_seconds}s
mkdir -p "$clips"
# gst-launch-1.0 escapes the spaces inside each argument, so arrays need no eval.
encode=()
for ((i = 0; i < max_n; i++)); do
    [[ -s $clips/camera$i.webm ]] && continue
    read -r -a pattern <<<"${patterns[$i]}"
    encode+=(videotestsrc "pattern=${pattern[0]}" "${pattern[@]:1}" "num-buffers=$((clip_seconds * 30))"
        ! "video/x-raw,width=1280,height=720,framerate=30/1" ! timeoverlay "font-desc=Sans 36"
        ! vp8enc deadline=1 cpu-used=8 threads=1 end-usage=cbr "target-bitrate=$((input_kbps * 1000))"
        keyframe-max-dist=60 lag-in-frames=0 error-resilient=default
        ! webmmux ! filesink "location=$clips/camera$i.webm.part")
done
if ((${#encode[@]} > 0)); then
    say "encoding the missing camera clips of $clip_seconds s into $clips (not measured; a few minutes)"
    gst-launch-1.0 -q "${encode[@]}" >"$scratch/encode.log" 2>&1 || die "encoding failed; see $scratch/encode.log"
    for part in "$clips"/*.part; do mv "$part" "${part%.part}"; done
fi

# The counter of B's output frames, for n streams, into the array `counter`.
counter_pipeline() {
    local n=$1 i
    counter=()
    for ((i = 0; i < n; i++)); do
        counter+=(udpsrc address=127.0.0.1 "port=$((port_c + i))" "caps=$h264_rtp_caps"
            ! rtph264depay ! identity "name=count$i" silent=false
            ! fakesink sync=false async=false enable-last-sample=false)
    done
}
# B's description for n streams, into the array `description`.
baseline_pipeline() {
    local n=$1 i
    description=()
    for ((i = 0; i < n; i++)); do
        description+=(udpsrc address=127.0.0.1 "port=$((port_b + i))" "caps=$vp8_caps")
        if [[ $baseline == matched ]]; then
            description+=(! rtpjitterbuffer latency=50 do-lost=true drop-on-latency=true
                ! rtpvp8depay request-keyframe=true wait-for-keyframe=true ! vp8dec
                ! videoconvert ! videoscale ! "video/x-raw,format=I420,pixel-aspect-ratio=1/1"
                ! queue max-size-buffers=2 max-size-bytes=0 max-size-time=0 leaky=downstream)
        else
            description+=(! rtpvp8depay ! vp8dec ! videoconvert)
        fi
        description+=(! "${x264[@]}" ! "$h264_caps" ! "${h264_pay[@]}"
            ! udpsink host=127.0.0.1 "port=$((port_c + i))" bind-address=127.0.0.1 sync=false
            async=false)
    done
}

# One window: $1 streams, $2 the sides to run together ("ab", "a" or "b"), $3 the directory
# for its logs. Writes $3/a.result and/or $3/b.result: "cpu% kbps lowest-fps rss-MiB".
run_window() {
    local n=$1 sides=$2 dir=$3 i
    mkdir -p "$dir"
    local pid_a="" pid_b="" pid_c=""
    if [[ $sides == *a* ]]; then
        "${run[@]}" "$bench" --streams "$n" --port-base "$port_a" --bitrate-kbps "$bitrate_kbps" \
            --keyframe-ms 2000 >"$dir/a.log" 2>&1 &
        pid_a=$!
        pids+=("$pid_a")
        prioritise "$pid_a"
        for _ in $(seq 100); do
            grep -qs '^ready' "$dir/a.log" && break
            kill -0 "$pid_a" 2>/dev/null || die "conf_transcode_bench ended; see $dir/a.log"
            sleep 0.1
        done
        grep -q '^ready' "$dir/a.log" || die "conf_transcode_bench did not start; see $dir/a.log"
    fi
    if [[ $sides == *b* ]]; then
        local description counter
        counter_pipeline "$n"
        "${run[@]}" gst-launch-1.0 -v "${counter[@]}" >"$dir/count.log" 2>&1 &
        pid_c=$!
        pids+=("$pid_c")
        prioritise "$pid_c"
        baseline_pipeline "$n"
        echo "gst-launch-1.0 ${description[*]}" >"$dir/b.command"
        "${run[@]}" gst-launch-1.0 "${description[@]}" >"$dir/b.log" 2>&1 &
        pid_b=$!
        pids+=("$pid_b")
        prioritise "$pid_b"
        for _ in $(seq 100); do
            grep -qs 'Setting pipeline to PLAYING' "$dir/b.log" && grep -qs 'Setting pipeline to PLAYING' "$dir/count.log" && break
            kill -0 "$pid_b" 2>/dev/null || die "gst-launch-1.0 (baseline) ended; see $dir/b.log"
            kill -0 "$pid_c" 2>/dev/null || die "gst-launch-1.0 (counter) ended; see $dir/count.log"
            sleep 0.1
        done
    fi

    local sender=() clients
    for ((i = 0; i < n; i++)); do
        clients=""
        [[ -z $pid_a ]] || clients+="127.0.0.1:$((port_a + i)),"
        [[ -z $pid_b ]] || clients+="127.0.0.1:$((port_b + i)),"
        sender+=(filesrc "location=$clips/camera$i.webm" ! matroskademux
            ! rtpvp8pay pt=96 mtu=1200 picture-id-mode=15-bit
            ! multiudpsink bind-address=127.0.0.1 sync=true "clients=${clients%,}")
    done
    "${run[@]}" gst-launch-1.0 -q "${sender[@]}" >"$dir/sender.log" 2>&1 &
    local pid_s=$!
    pids+=("$pid_s")
    prioritise "$pid_s"

    alive() {
        [[ -z $pid_a ]] || kill -0 "$pid_a" 2>/dev/null || die "conf_transcode_bench ended; see $dir/a.log"
        [[ -z $pid_b ]] || kill -0 "$pid_b" 2>/dev/null || die "gst-launch-1.0 (baseline) ended; see $dir/b.log"
        [[ -z $pid_c ]] || kill -0 "$pid_c" 2>/dev/null || die "gst-launch-1.0 (counter) ended; see $dir/count.log"
        if ! kill -0 "$pid_s" 2>/dev/null; then
            local rc=0
            wait "$pid_s" || rc=$?
            die "the sender ended (status $rc); see $dir/sender.log"
        fi
    }
    # Until every stream of every side has output a frame.
    local waited=0 started
    while :; do
        started=1
        if [[ -n $pid_a ]] && a_stats "$pid_a" "$dir/a.log" | grep -qE '(^| |,)0(,|$)'; then started=0; fi
        if [[ -n $pid_b ]] && b_stats "$dir/count.log" "$n" | grep -qE '(^| |,)0(,|$)'; then started=0; fi
        ((started)) && break
        alive
        ((waited++ < startup_limit * 5)) || die "no output from every stream in $startup_limit s; see $dir"
        sleep 0.2
    done
    pause "$warmup"
    alive
    local load_before a0=0 b0=0 a_first="" b_first=""
    load_before=$(cut -d' ' -f1 /proc/loadavg)
    if [[ -n $pid_a ]]; then
        threads_of "$pid_a" >"$dir/a.threads0"
        a0=$(ticks_of "$pid_a")
        a_first=$(a_stats "$pid_a" "$dir/a.log")
    fi
    if [[ -n $pid_b ]]; then
        threads_of "$pid_b" >"$dir/b.threads0"
        b0=$(ticks_of "$pid_b")
        b_first=$(b_stats "$dir/count.log" "$n")
    fi
    pause "$seconds"
    local a1 b1 a_last b_last load_after
    if [[ -n $pid_a ]]; then
        a1=$(ticks_of "$pid_a")
        a_last=$(a_stats "$pid_a" "$dir/a.log")
        threads_of "$pid_a" >"$dir/a.threads1"
        echo "$(percent "$a0" "$a1" "$seconds") $(rates "$a_first" "$a_last" "$seconds") $(rss_mib "$pid_a")" >"$dir/a.result"
        thread_split "$dir/a.threads0" "$dir/a.threads1" >"$dir/a.split"
    fi
    if [[ -n $pid_b ]]; then
        b1=$(ticks_of "$pid_b")
        b_last=$(b_stats "$dir/count.log" "$n")
        threads_of "$pid_b" >"$dir/b.threads1"
        echo "$(percent "$b0" "$b1" "$seconds") $(rates "$b_first" "$b_last" "$seconds") $(rss_mib "$pid_b")" >"$dir/b.result"
        thread_split "$dir/b.threads0" "$dir/b.threads1" >"$dir/b.split"
    fi
    load_after=$(cut -d' ' -f1 /proc/loadavg)
    alive
    echo "$load_before → $load_after" >"$dir/load.$sides"
    stop_all
    if grep -q 'failed' "$dir/a.log" 2>/dev/null; then
        die "a transcoder failed; see $dir/a.log"
    fi
}

# One run of n streams, in a subshell of its own (see below): appends a line to runs.txt:
# "n run cpuA kbpsA fpsA rssA cpuB kbpsB fpsB rssB receiveA decodeA encodeA otherA
#  receiveB decodeB encodeB otherB load".
run_one() {
    local n=$1 r=$2 dir=$scratch/n$1-r$2 load
    if [[ $side == both ]]; then
        say "N=$n run $r: A and B side by side, ${warmup} s warm-up, ${seconds} s window"
        run_window "$n" ab "$dir"
        load=$(<"$dir/load.ab")
    else
        say "N=$n run $r: A alone, then B alone (${warmup} s warm-up, ${seconds} s windows)"
        run_window "$n" a "$dir"
        run_window "$n" b "$dir"
        load="$(<"$dir/load.a"); $(<"$dir/load.b")"
    fi
    local a b
    a=$(<"$dir/a.result")
    b=$(<"$dir/b.result")
    echo "$n $r $a $b $(<"$dir/a.split") $(<"$dir/b.split") $load" >>"$scratch/runs.txt"
    say "N=$n run $r: A $(cut -d' ' -f1 <<<"$a") % ($(cut -d' ' -f3 <<<"$a") fps), B $(cut -d' ' -f1 <<<"$b") % ($(cut -d' ' -f3 <<<"$b") fps); load $load"
}

: >"$scratch/runs.txt"
say "uptime: $(uptime)"
for ((r = 1; r <= runs; r++)); do
    for n in $stream_counts; do
        # A failure stops what that run started and is reported; the other runs go on.
        (
            trap stop_all EXIT
            trap 'exit 130' INT TERM
            run_one "$n" "$r"
        ) &
        pids=("$!")
        if ! wait "${pids[0]}"; then
            echo "$n $r failed" >>"$scratch/runs.txt"
            keep=1
        fi
        pids=()
    done
done

baseline_name="bare gst-launch-1.0"
[[ $baseline == bare ]] || baseline_name="gst-launch-1.0, the Transcoder's elements"
mode="side by side, same window"
[[ $side == both ]] || mode="A then B, adjacent windows"
echo "Runs ($mode; CPU in % of one core; fps: the lowest stream's; kbps: A RTP, B H.264):"
echo
echo "| streams | run | libconf CPU | fps | kbps | RSS MiB | $baseline_name CPU | fps | kbps | RSS MiB | ratio | valid | load (1 min) |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
awk '$3 == "failed" {printf "| %d | %d | failed: see the log above |\n", $1, $2; next}
     {ok = ($5 >= 29 && $9 >= 29) ? "yes" : "**no** (fps)"; load = ""
      for (i = 19; i <= NF; i++) load = load (i > 19 ? " " : "") $i
      printf "| %d | %d | %.1f %% | %.1f | %d | %d | %.1f %% | %.1f | %d | %d | %.2f× | %s | %s |\n",
             $1, $2, $3, $5, $4, $6, $7, $9, $8, $10, ($7 > 0 ? $3 / $7 : 0), ok, load}' "$scratch/runs.txt"
echo
echo "Medians of the valid runs (per stream = the whole process's CPU / streams):"
echo
echo "| streams | valid runs | libconf CPU | per stream | baseline CPU | per stream | **ratio** (median) | ratios | output fps (lowest stream) libconf / baseline |"
echo "|---:|---:|---:|---:|---:|---:|---:|---|---|"
for n in $stream_counts; do
    awk -v n="$n" '
        function median(v, k,    i, j, t) {
            for (i = 2; i <= k; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) {t = v[j]; v[j] = v[j - 1]; v[j - 1] = t}
            return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
        }
        $1 == n && $3 != "failed" && $5 >= 29 && $9 >= 29 && $7 > 0 {
            k++; a[k] = $3; b[k] = $7; ratio[k] = $3 / $7; list = list (k > 1 ? ", " : "") sprintf("%.2f", $3 / $7)
            fa[k] = $5; fb[k] = $9
        }
        END {
            if (k == 0) {printf "| %d | 0 | - | - | - | - | - | - | - |\n", n; exit}
            ma = median(a, k); mb = median(b, k); mr = median(ratio, k); mfa = median(fa, k); mfb = median(fb, k)
            printf "| %d | %d | %.1f %% | %.1f %% | %.1f %% | %.1f %% | **%.2f×** | %s | %.1f / %.1f |\n",
                   n, k, ma, ma / n, mb, mb / n, mr, list, mfa, mfb
        }' "$scratch/runs.txt"
done
echo
echo "By thread (schedstat, % of one core, medians of the valid runs): receive = udpsrc (A: and the"
echo "ReceivedTrack's copy into each Transcoder's appsrc, its appsrc thread); decode = jitterbuffer"
echo "output → depay → vp8dec (A, matched B); encode = queue → x264enc and its threads → payloader."
echo
echo "| streams | libconf receive | decode | encode | other | baseline receive | decode | encode | other |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in $stream_counts; do
    awk -v n="$n" '
        function median(v, k,    i, j, t) {
            for (i = 2; i <= k; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) {t = v[j]; v[j] = v[j - 1]; v[j - 1] = t}
            return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
        }
        $1 == n && $3 != "failed" && $5 >= 29 && $9 >= 29 {
            k++; for (c = 11; c <= 18; c++) col[c, k] = $c
        }
        END {
            if (k == 0) exit
            printf "| %d |", n
            for (c = 11; c <= 18; c++) {delete v; for (i = 1; i <= k; i++) v[i] = col[c, i]; printf " %.1f %% |", median(v, k)}
            printf "\n"
        }' "$scratch/runs.txt"
done
