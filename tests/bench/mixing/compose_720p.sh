#!/usr/bin/env bash
# Benchmark (not a test): what composing a room's video costs, libconf's VideoCompositor
# against ffmpeg (xstack + libvpx), for N participants' 640x360 30 fps VP8 cameras composed
# into one 1280x720 30 fps VP8 picture. One run on this machine; prints Markdown tables on
# stdout (progress goes to stderr).
#
#   sender  one gst-launch-1.0: N distinct videotestsrc patterns 640x360@30 (moving) ->
#           vp8enc (realtime, cpu-used 8, CBR --input-kbps, keyframe every 2 s) -> rtpvp8pay,
#           each sent over UDP to both composers (multiudpsink), so both get the very same
#           packets. By default the N streams are encoded before the run (webm files, the same
#           encoder settings) and the sender only replays them in real time: live encoding
#           of 9 cameras would take about a core of this 2-core machine away from what is
#           measured. --live-sender encodes during the run instead.
#   A       compose-bench: one VideoCompositor (grid layout, 1280x720@30), each input
#           jitterbuffer -> rtpvp8depay -> vp8dec -> compositor; vp8enc (deadline 1, cpu-used,
#           threads, CBR bitrate, keyframe distance 60, lag 0) -> rtpvp8pay -> dropped
#   B       ffmpeg: the same N RTP inputs (SDP files) decoded (ffmpeg's own VP8 decoder), each
#           scaled into its tile keeping its aspect ratio and letterboxed (scale + pad, the
#           tiles A reports: same geometry), xstack onto the canvas, libvpx with the same
#           settings (deadline realtime, cpu-used, threads, CBR bitrate, -g 60, lag 0,
#           error-resilient, quantizers 4-63), IVF to /dev/null. --ffmpeg-stage compose
#           stops after xstack (no encoder), decode after the decoders: B's cost split.
#
# The clips are kept in ${TMPDIR:-/tmp}/compose-bench-clips for later runs.
#
# A and B run side by side over the same window (--measure seconds after --warmup, counted
# from ffmpeg's first output frame), so both see the same background load. CPU is
# utime+stime from /proc/PID/stat over the window, as a percentage of one core; fps is the
# output frames in the window (A: RTP marker bits; B: ffmpeg's -progress); RSS is VmRSS at
# the end. A's CPU is also split by thread (schedstat run time, grouped by thread name). The
# sender is not measured. Everything binds to 127.0.0.1; every process started here is
# stopped on exit.
#
# --side a or b measures one side alone (the other is not started; A still starts briefly
# for B's tiles): for settings under which the two would fight over the cores rather than
# share them, such as two 2-thread VP8 encoders on a 2-core machine.
#
# --cpu-used: libvpx's VP8 realtime mode picks its speed from the wall-clock time of the
# previous frames when cpu-used is positive (it aims at (16 - cpu-used)/16 of the frame
# interval), so the encoder's CPU depends on the machine's load; a negative value fixes the
# speed at its absolute value. --nice N runs A, B and the sender each in a session (so an
# autogroup) of its own at nice N (negative: root): with the kernel's autogroups, the CPU is
# shared between sessions first, so a parallel build in another session would otherwise hold
# half the machine however busy the benchmark is.
#
# The encoder's defaults are VideoCompositorOptions': 2000 kbps, cpu-used 8, threads 2.
#
# usage: tests/bench/mixing/compose_720p.sh [--build DIR] [--participants "1 2 4 9"]
#            [--warmup S] [--measure S] [--bitrate-kbps K] [--cpu-used C] [--threads T]
#            [--input-kbps K] [--ffmpeg-stage full|compose|decode] [--live-sender]
#            [--side both|a|b] [--nice N] [--keep]
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$script_dir/../../.." && pwd)
build=$repo/build-bench
participant_counts="1 2 4 9"
warmup=10
measure=30
bitrate_kbps=2000
cpu_used=8
threads=2
input_kbps=600
ffmpeg_stage=full
live_sender=0
nice_level=0
side=both
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
    --bitrate-kbps) bitrate_kbps=$2; shift ;;
    --cpu-used) cpu_used=$2; shift ;;
    --threads) threads=$2; shift ;;
    --input-kbps) input_kbps=$2; shift ;;
    --ffmpeg-stage) ffmpeg_stage=$2; shift ;;
    --live-sender) live_sender=1 ;;
    --nice) nice_level=$2; shift ;;
    --side) side=$2; shift ;;
    --keep) keep=1 ;;
    -h | --help) usage ;;
    *) echo "unknown argument: $1" >&2; usage ;;
    esac
    shift
done
case "$ffmpeg_stage" in full | compose | decode) ;; *) usage ;; esac
case "$side" in both | a | b) ;; *) usage ;; esac
bench=$build/tests/bench/compose-bench
[[ -x "$bench" ]] || { echo "not built: $bench (ninja -C $build compose-bench)" >&2; exit 2; }
# setsid runs the command itself (no fork: a background job of this script, which has no job
# control, never leads its process group), so $! is the command's pid.
run=(setsid nice -n "$nice_level")
# After starting a process with run: once it leads its own session (setsid has run), its
# autogroup at the same nice level.
prioritise() {
    ((nice_level != 0)) || return 0
    local stat
    for _ in $(seq 100); do
        stat=$(<"/proc/$1/stat") || die "process $1 ended"
        read -r -a fields <<<"${stat##*) }"
        ((fields[3] == $1)) && break
        sleep 0.02
    done
    ((fields[3] == $1)) || die "process $1 is not in a session of its own"
    echo "$nice_level" >"/proc/$1/autogroup" || die "cannot renice the autogroup of $1"
}
for tool in gst-launch-1.0 ffmpeg awk; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 2; }
done

scratch=$(mktemp -d /tmp/compose-bench.XXXXXX)
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
# A sleep that a signal interrupts (bash runs traps only between commands).
pause() {
    sleep "$1" &
    pids+=("$!")
    wait "$!"
}
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
# One line per thread: tid, name (comm, spaces as _), run time in ns (schedstat).
threads_of() {
    local task comm ns
    for task in /proc/"$1"/task/*; do
        comm=$(tr ' ' '_' <"$task/comm" 2>/dev/null) || continue
        ns=$(cut -d' ' -f1 "$task/schedstat" 2>/dev/null) || continue
        echo "${task##*/} $comm $ns"
    done
}
# A's stats line (SIGUSR1 makes compose-bench print one): "<packets> <bytes> <frames>".
a_stats() {
    local before
    before=$(grep -c '^stats' "$2" || true)
    kill -USR1 "$1"
    for _ in $(seq 50); do
        (($(grep -c '^stats' "$2" || true) > before)) && break
        sleep 0.02
    done
    grep '^stats' "$2" | tail -n 1 | sed -E 's/.*packets=([0-9]+) bytes=([0-9]+) frames=([0-9]+).*/\1 \2 \3/'
}
# ffmpeg's latest -progress values: "<frames> <bytes> <speed>".
b_progress() {
    awk -F= '$1 == "frame" {f = $2} $1 == "total_size" {s = $2} $1 == "speed" {v = $2}
             END {if (s == "" || s == "N/A") s = 0; if (v == "") v = "?"; sub(/x$/, "", v);
                  print (f == "" ? 0 : f), s, v}' "$1" 2>/dev/null || echo "0 0 ?"
}

port_a=$((20000 + RANDOM % 10000))
max_n=0
for n in $participant_counts; do
    ((n >= 1)) || die "participants must be at least 1: $n"
    if ((n > max_n)); then max_n=$n; fi
done
patterns=(smpte ball pinwheel zone-plate circular spokes colors checkers-8 gamut bar
    chroma-zone-plate gradient smpte100 smpte75 checkers-4 checkers-2)
((max_n <= ${#patterns[@]})) || die "at most ${#patterns[@]} participants"
# Participant i's camera: a pattern moving sideways (the ball moves by itself).
camera() {
    local speed=2
    if [[ ${patterns[$1]} == ball ]]; then speed=0; fi
    echo "videotestsrc pattern=${patterns[$1]} horizontal-speed=$speed"
}
encoder="vp8enc deadline=1 cpu-used=8 threads=1 end-usage=cbr target-bitrate=$((input_kbps * 1000))"
encoder+=" keyframe-max-dist=60 lag-in-frames=0 error-resilient=default"
# Long enough for ffmpeg to open all inputs (each waits for a keyframe), the warm-up and
# the window, with a margin.
startup_limit=60
clip_seconds=$((startup_limit + warmup + measure + 15))

# Clips are kept for later runs with the same settings (they take a minute to make).
clips=${TMPDIR:-/tmp}/compose-bench-clips/${input_kbps}k-${clip_seconds}s
if ((!live_sender)); then
    mkdir -p "$clips"
    encode=""
    for ((i = 0; i < max_n; i++)); do
        [[ -s $clips/camera$i.webm ]] && continue
        encode+=" $(camera "$i") num-buffers=$((clip_seconds * 30))"
        encode+=" ! video/x-raw,width=640,height=360,framerate=30/1 ! $encoder"
        encode+=" ! webmmux ! filesink location=$clips/camera$i.webm.part"
    done
    if [[ -n $encode ]]; then
        say "encoding camera clips of $clip_seconds s into $clips (not measured)"
        # shellcheck disable=SC2086 # the pipeline description is meant to be split
        gst-launch-1.0 -q $encode >"$scratch/encode.log" 2>&1 || die "encoding failed; see $scratch/encode.log"
        for part in "$clips"/*.part; do mv "$part" "${part%.part}"; done
    fi
fi

# One participant count, in a subshell of its own (see below): its rows go to files.
run_one() {
    local n=$1 port_b=$((port_a + 1000)) i
    local dir=$scratch/n$n
    mkdir -p "$dir"

    # A: libconf. Started first: its tiles are B's geometry.
    "${run[@]}" "$bench" --participants "$n" --port-base "$port_a" --bitrate-kbps "$bitrate_kbps" \
        --cpu-used "$cpu_used" --threads "$threads" --keyframe-ms 2000 >"$dir/a.log" 2>&1 &
    local pid_a=$!
    pids+=("$pid_a")
    prioritise "$pid_a"
    for _ in $(seq 100); do
        grep -qs '^ready' "$dir/a.log" && break
        kill -0 "$pid_a" 2>/dev/null || die "compose-bench ended; see $dir/a.log"
        sleep 0.1
    done
    grep -q '^ready' "$dir/a.log" || die "compose-bench did not start; see $dir/a.log"
    local tiles=()
    mapfile -t tiles < <(awk '$1 == "tile" {split($3, p, ","); split($4, s, "x");
                                            print p[1], p[2], s[1], s[2]}' "$dir/a.log")
    ((${#tiles[@]} == n)) || die "compose-bench placed ${#tiles[@]} tiles for $n inputs"
    if [[ $side == b ]]; then
        stop_all
        pid_a=""
    fi

    # B: ffmpeg, one SDP file per input.
    local inputs=() graph="" layout="" x y w h
    for ((i = 0; i < n; i++)); do
        cat >"$dir/in$i.sdp" <<EOF
v=0
o=- 0 0 IN IP4 127.0.0.1
s=participant $i
c=IN IP4 127.0.0.1
t=0 0
m=video $((port_b + 2 * i)) RTP/AVP 96
a=rtpmap:96 VP8/90000
EOF
        # A large queue per input: ffmpeg reads its inputs' threads one packet at a time
        # while it opens the others and while xstack waits for the slowest.
        inputs+=(-thread_queue_size 4096 -protocol_whitelist "file,udp,rtp" -i "$dir/in$i.sdp")
        read -r x y w h <<<"${tiles[$i]}"
        graph+="[$i:v]scale=$w:$h:force_original_aspect_ratio=decrease:force_divisible_by=2,"
        graph+="pad=$w:$h:(ow-iw)/2:(oh-ih)/2:black[t$i];"
        layout+="${x}_$y|"
    done
    if ((n == 1)); then
        graph=${graph%\[t0\];}"[out]"
    else
        for ((i = 0; i < n; i++)); do graph+="[t$i]"; done
        graph+="xstack=inputs=$n:layout=${layout%|}:fill=black[out]"
    fi
    local outputs=()
    case "$ffmpeg_stage" in
    full)
        outputs=(-filter_complex "$graph" -map "[out]" -c:v libvpx -deadline realtime
            -cpu-used "$cpu_used" -threads "$threads" -b:v "${bitrate_kbps}k"
            -minrate "${bitrate_kbps}k" -maxrate "${bitrate_kbps}k" -g 60 -lag-in-frames 0
            -error-resilient default -qmin 4 -qmax 63 -f ivf -y /dev/null)
        ;;
    compose)
        outputs=(-filter_complex "$graph" -map "[out]" -c:v wrapped_avframe -f null -)
        ;;
    decode)
        for ((i = 0; i < n; i++)); do outputs+=(-map "$i:v"); done
        outputs+=(-c:v wrapped_avframe -f null -)
        ;;
    esac
    local pid_b=""
    if [[ $side != a ]]; then
        "${run[@]}" ffmpeg -hide_banner -nostdin -loglevel warning -nostats \
            -progress "$dir/b.progress" -stats_period 0.5 "${inputs[@]}" "${outputs[@]}" \
            >"$dir/b.log" 2>&1 &
        pid_b=$!
        pids+=("$pid_b")
        prioritise "$pid_b"
    fi

    # The sender: each camera to A's port and B's (ffmpeg wants even RTP ports).
    local sender=""
    for ((i = 0; i < n; i++)); do
        if ((live_sender)); then
            sender+=" $(camera "$i") is-live=true"
            sender+=" ! video/x-raw,width=640,height=360,framerate=30/1 ! $encoder"
        else
            sender+=" filesrc location=$clips/camera$i.webm ! matroskademux"
        fi
        sender+=" ! rtpvp8pay pt=96 mtu=1200 picture-id-mode=15-bit"
        sender+=" ! multiudpsink sync=true clients=127.0.0.1:$((port_a + i)),127.0.0.1:$((port_b + 2 * i))"
    done
    # shellcheck disable=SC2086 # the pipeline description is meant to be split
    "${run[@]}" gst-launch-1.0 -q $sender >"$dir/sender.log" 2>&1 &
    local pid_s=$!
    pids+=("$pid_s")
    prioritise "$pid_s"

    if [[ -n $pid_b ]]; then
        say "N=$n: waiting for ffmpeg's first frame"
        local waited=0
        until (($(b_progress "$dir/b.progress" | cut -d' ' -f1) > 0)); do
            kill -0 "$pid_b" 2>/dev/null || die "ffmpeg ended; see $dir/b.log"
            ((waited++ < startup_limit * 10)) || die "ffmpeg produced nothing in $startup_limit s; see $dir/b.log"
            sleep 0.1
        done
        say "N=$n: ffmpeg started after $((waited / 10)) s"
    fi
    say "N=$n: warming up ${warmup} s"
    pause "$warmup"
    alive() {
        [[ -z $pid_a ]] || kill -0 "$pid_a" 2>/dev/null || die "compose-bench ended; see $dir/a.log"
        [[ -z $pid_b ]] || kill -0 "$pid_b" 2>/dev/null || die "ffmpeg ended; see $dir/b.log"
        if ! kill -0 "$pid_s" 2>/dev/null; then
            wait "$pid_s" && rc=0 || rc=$?
            die "the sender ended (status $rc); see $dir/sender.log"
        fi
    }
    alive
    local load_before a0=0 b0=0 a_first="0 0 0" b_first="0 0 ?"
    load_before=$(cut -d' ' -f1-3 /proc/loadavg)
    if [[ -n $pid_a ]]; then
        threads_of "$pid_a" >"$dir/threads0"
        a0=$(ticks_of "$pid_a")
        a_first=$(a_stats "$pid_a" "$dir/a.log")
    fi
    if [[ -n $pid_b ]]; then
        b0=$(ticks_of "$pid_b")
        b_first=$(b_progress "$dir/b.progress")
    fi
    say "N=$n: measuring ${measure} s"
    pause "$measure"
    local a1=0 b1=0 a_last="0 0 0" b_last="0 0 ?" rss_a="-" rss_b="-"
    if [[ -n $pid_a ]]; then
        a1=$(ticks_of "$pid_a")
        a_last=$(a_stats "$pid_a" "$dir/a.log")
        threads_of "$pid_a" >"$dir/threads1"
        rss_a="$(rss_mib "$pid_a") MiB"
    fi
    if [[ -n $pid_b ]]; then
        b1=$(ticks_of "$pid_b")
        b_last=$(b_progress "$dir/b.progress")
        rss_b="$(rss_mib "$pid_b") MiB"
    fi
    alive
    local load_after
    load_after=$(cut -d' ' -f1-3 /proc/loadavg)
    stop_all
    if grep -q 'failed' "$dir/a.log"; then
        die "an input of compose-bench failed; see $dir/a.log"
    fi

    local cpu_a cpu_b fps_a fps_b kbps_a kbps_b ratio speed_b
    cpu_a="$(percent "$a0" "$a1" "$measure") %"
    cpu_b="$(percent "$b0" "$b1" "$measure") %"
    read -r fps_a kbps_a < <(awk -v f="$a_first" -v l="$a_last" -v s="$measure" 'BEGIN {
        split(f, a, " "); split(l, b, " ");
        printf "%.1f %.0f\n", (b[3] - a[3]) / s, (b[2] - a[2]) * 8 / 1000 / s}')
    read -r fps_b kbps_b speed_b < <(awk -v f="$b_first" -v l="$b_last" -v s="$measure" 'BEGIN {
        split(f, a, " "); split(l, b, " ");
        printf "%.1f %.0f %s\n", (b[1] - a[1]) / s, (b[2] - a[2]) * 8 / 1000 / s, b[3]}')
    ratio=$(awk -v a="${cpu_a% %}" -v b="${cpu_b% %}" 'BEGIN {printf (b > 0 ? "%.2f×" : "-"), a / b}')
    if [[ -z $pid_a ]]; then
        cpu_a="-" fps_a="-" kbps_a="-" ratio="-"
    fi
    if [[ -z $pid_b ]]; then
        cpu_b="-" fps_b="-" kbps_b="-" ratio="-" speed_b="-"
    fi
    local stage_b="xstack + libvpx"
    if [[ $ffmpeg_stage == compose ]]; then
        stage_b="xstack, no encoder"
        kbps_b="-"
    elif [[ $ffmpeg_stage == decode ]]; then
        stage_b="decode only"
        kbps_b="-"
        fps_b="$fps_b per input"
    fi
    echo "| $n | $cpu_a | $fps_a | $kbps_a | $rss_a | $stage_b | $cpu_b | $fps_b | $kbps_b | $rss_b | **$ratio** |" >>"$scratch/summary.rows"
    say "N=$n: A $cpu_a ($fps_a fps), B $cpu_b ($fps_b fps, speed ${speed_b}x); load $load_before -> $load_after"
    echo "N=$n: $load_before before, $load_after after" >>"$scratch/loads"
    [[ -n $pid_a ]] || return 0

    # A by thread, as % of one core: threads that started inside the window count whole.
    awk -v s="$measure" -v n="$n" -v total="${cpu_a% %}" '
        function group(c) {
            if (c == "src:src") return "receive";
            if (c == "jitterbuffer:sr") return "decode";
            if (c == "compositor:src" || c ~ /^pool-/) return "composite";
            if (c == "encode-queue:sr") return "encode";
            return "other";
        }
        FNR == NR {start[$1] = $3; next}
        {g = group($2); ns[g] += $3 - (($1 in start) ? start[$1] : 0); count[g]++}
        END {
            printf "| %d | %.1f %% |", n, total;
            split("receive decode composite encode other", order, " ");
            for (i = 1; i <= 5; i++) printf " %.1f %% (%d) |", ns[order[i]] / (s * 1e9) * 100, count[order[i]];
            printf "\n";
        }' "$dir/threads0" "$dir/threads1" >>"$scratch/split.rows"
}

# A failure at one participant count (a process that ends, ffmpeg that never starts) is
# reported in its row and the others still run: the subshell stops what it started.
: >"$scratch/summary.rows"
: >"$scratch/split.rows"
: >"$scratch/loads"
for n in $participant_counts; do
    (
        trap stop_all EXIT
        trap 'exit 130' INT TERM
        run_one "$n"
    ) &
    pids=("$!")
    if ! wait "${pids[0]}"; then
        echo "| $n | failed: see the log above |" >>"$scratch/summary.rows"
        keep=1
    fi
    pids=()
done

echo "| participants | VideoCompositor CPU (of one core) | fps | kbps | RSS | ffmpeg | CPU | fps | kbps | RSS | ratio |"
echo "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|"
cat "$scratch/summary.rows"
echo
echo "VideoCompositor by thread (schedstat; threads in brackets):"
echo
echo "| participants | whole process | receive (udpsrc, appsrc) | decode (jitterbuffer → depay → vp8dec) | composite (compositor, its workers) | encode (queue → vp8enc → rtpvp8pay) | other |"
echo "|---|---:|---:|---:|---:|---:|---:|"
cat "$scratch/split.rows"
echo
echo "Load average (1, 5, 15 min) around each window: $(paste -sd ';' "$scratch/loads" | sed 's/;/; /g')"
