#!/usr/bin/env bash
# Benchmark (not a test): what recording one 720p VP8 + Opus WHIP publish costs confd,
# against a bare gst-launch-1.0 pipeline that depayloads and muxes the same RTP, measured in
# one run on this machine. Prints Markdown tables on stdout (progress goes to stderr).
#
#   A  confd --profile recorder, fed by whip-client (its default 720p30 VP8 ~1.5 Mbps + Opus)
#   B  gst-launch-1.0: udpsrc -> rtpjitterbuffer -> rtpvp8depay/rtpopusdepay -> webmmux ->
#      filesink buffer-mode=unbuffered, fed over UDP by a gst-launch-1.0 RTP sender with the
#      same encoder settings
#   C  time from whip-client's POST to the first recorded media, over several publishes
#
# A and B run side by side and are measured over the same window (--measure seconds after a
# --warmup), so both see the same machine: on a shared box, one after the other would
# compare two different background loads. CPU is utime+stime from /proc/PID/stat, and per
# thread from /proc/PID/task/TID/{stat,schedstat}; peak RSS is VmHWM, reset (clear_refs 5)
# at the start of the window. Everything binds to 127.0.0.1; every process started here is
# stopped on exit, whatever happens.
#
# usage: tests/bench/recording_cpu.sh [--build DIR] [--warmup S] [--measure S]
#            [--latency-runs N] [--latency-publish S] [--keep]
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$script_dir/../.." && pwd)
build=$repo/build-bench
warmup=5
measure=30
latency_runs=5
latency_publish=3
keep=0

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}
while (($# > 0)); do
    case "$1" in
    --build) build=$2; shift ;;
    --warmup) warmup=$2; shift ;;
    --measure) measure=$2; shift ;;
    --latency-runs) latency_runs=$2; shift ;;
    --latency-publish) latency_publish=$2; shift ;;
    --keep) keep=1 ;;
    -h | --help) usage ;;
    *) echo "unknown argument: $1" >&2; usage ;;
    esac
    shift
done
confd=$build/daemon/confd
client=$build/examples/whip_client/whip-client
for program in "$confd" "$client"; do
    [[ -x "$program" ]] || { echo "not built: $program (ninja -C $build confd whip-client)" >&2; exit 2; }
done
for tool in gst-launch-1.0 ffprobe /usr/bin/python3 date awk; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 2; }
done

# The media, identical for both paths (and whip-client's default): 720p30 VP8 in realtime
# mode at ~1.5 Mbps with a keyframe every 2 s, and Opus.
video="videotestsrc is-live=true pattern=smpte horizontal-speed=2 \
! video/x-raw,width=1280,height=720,framerate=30/1 \
! vp8enc deadline=1 cpu-used=8 end-usage=cbr target-bitrate=1500000 keyframe-max-dist=60 \
! rtpvp8pay pt=96"
audio="audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample \
! opusenc bitrate=64000 ! rtpopuspay pt=111"
# confd's webrtcbin uses a 100 ms jitterbuffer; the baseline uses the same.
jitter_ms=100

scratch=$(mktemp -d /tmp/recording-bench.XXXXXX)
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

unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
say() { echo "[bench] $*" >&2; }
die() {
    echo "[bench] FAILED: $*" >&2
    exit 1
}
clk_tck=$(getconf CLK_TCK)

# Waits until `pattern` appears in `file` (grep -E), for at most `seconds`.
wait_for_line() {
    local file=$1 pattern=$2 seconds=$3 pid=${4:-}
    local deadline=$((SECONDS + seconds))
    until grep -Eq "$pattern" "$file" 2>/dev/null; do
        ((SECONDS < deadline)) || return 1
        if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
            return 1
        fi
        sleep 0.05
    done
}

# Stops a process we started with `signal` and waits at most `seconds` before SIGKILL.
# Sets stop_rc to its exit status.
stop_process() {
    local pid=$1 signal=$2 seconds=$3
    kill "-$signal" "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + seconds))
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

# Nanoseconds on a CPU from a schedstat file (first field): finer than the 10 ms ticks.
ns_of() {
    local line
    line=$(<"$1") || { echo 0; return; }
    echo "${line%% *}"
}

# "TID TICKS NS COMM" for every thread of PID.
thread_snapshot() {
    local pid=$1 task tid
    for task in /proc/"$pid"/task/*; do
        tid=${task##*/}
        echo "$tid $(ticks_of "$task/stat") $(ns_of "$task/schedstat") $(tr ' ' '_' <"$task/comm" 2>/dev/null)"
    done
}

kib_field() { awk -v f="$2:" '$1 == f {print $2}' /proc/"$1"/status; }
# Peak RSS measured from now on (Linux >= 4.0); falls back to the peak since start.
reset_peak_rss() { echo 5 >/proc/"$1"/clear_refs 2>/dev/null || say "cannot reset VmHWM of $1"; }

# The measured window: CPU ticks of each PID at its start and end (t0/t1), per-thread
# snapshots in threads0-PID.txt / threads1-PID.txt, and the growth of each recording file
# (grown[FILE], bytes).
declare -A t0 t1 size0 grown
window() {
    local pid file
    for pid in "${window_pids[@]}"; do
        reset_peak_rss "$pid"
        t0[$pid]=$(ticks_of /proc/"$pid"/stat)
        thread_snapshot "$pid" >"$scratch/threads0-$pid.txt"
    done
    for file in "${window_files[@]}"; do
        size0[$file]=$(stat -c %s "$file")
    done
    window_start=$EPOCHREALTIME
    say "measuring ${measure} s"
    sleep "$measure"
    window_end=$EPOCHREALTIME
    for file in "${window_files[@]}"; do
        grown[$file]=$(($(stat -c %s "$file") - size0[$file]))
    done
    for pid in "${window_pids[@]}"; do
        t1[$pid]=$(ticks_of /proc/"$pid"/stat)
        thread_snapshot "$pid" >"$scratch/threads1-$pid.txt"
        kill -0 "$pid" 2>/dev/null || die "process $pid ended during the measurement"
    done
    wall=$(awk -v a="$window_start" -v b="$window_end" 'BEGIN {printf "%.2f", b - a}')
}
cpu_seconds() { awk -v a="${t0[$1]}" -v b="${t1[$1]}" -v hz="$clk_tck" 'BEGIN {printf "%.2f", (b - a) / hz}'; }

start_confd() {
    local dir=$1
    "$confd" --http 127.0.0.1:0 --grpc 127.0.0.1:0 --data-dir "$dir/data" --profile recorder \
        >"$dir/confd.log" 2>&1 &
    confd_pid=$!
    pids+=("$confd_pid")
    wait_for_line "$dir/confd.log" '^confd listening on http://127\.0\.0\.1:[0-9]+/' 15 "$confd_pid" ||
        die "confd did not start; see $dir/confd.log"
    base=$(sed -n 's|^confd listening on \(http://127\.0\.0\.1:[0-9]*/\).*|\1|p' "$dir/confd.log")
}

mbps() { awk -v b="$1" -v s="$2" 'BEGIN {if (s > 0) printf "%.2f", b * 8 / s / 1e6; else print "?"}'; }
# Video keyframes per minute in a media file (the encoder adds one for each PLI it gets).
keyframes_per_minute() {
    ffprobe -v error -select_streams v -show_entries packet=pts_time,flags -of csv=p=0 "$1" |
        awk -F, '$2 ~ /K/ {k++} {last = $1} END {if (last > 0) printf "%.0f", k * 60 / last; else print "?"}'
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
say "load average before: $load_before; scratch $scratch"

# --- A: confd recording one publish, B: the bare gst-launch baseline, side by side ------------
say "A: confd --profile recorder + whip-client"
dir_a=$scratch/a
mkdir -p "$dir_a"
start_confd "$dir_a"
"$client" "${base}whip/bench" --pipeline "$video ! whip. $audio ! whip." >"$dir_a/client.log" 2>&1 &
client_pid=$!
pids+=("$client_pid")
wait_for_line "$dir_a/client.log" 'connection state: connected' 30 "$client_pid" ||
    die "whip-client did not connect; see $dir_a/client.log"
deadline=$((SECONDS + 15))
recording=""
while [[ -z "$recording" ]]; do
    ((SECONDS < deadline)) || die "confd records nothing; see $dir_a/confd.log"
    recording=$(find "$dir_a/data/recordings/bench" -name '*.webm' 2>/dev/null | head -n 1) || true
    [[ -n "$recording" ]] || sleep 0.05
done
say "B: gst-launch-1.0 receiver (udpsrc -> rtpjitterbuffer -> depay -> webmmux -> filesink)"
dir_b=$scratch/b
mkdir -p "$dir_b"
read -r video_port audio_port < <(/usr/bin/python3 -c '
import socket
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
gst-launch-1.0 -e \
    udpsrc address=127.0.0.1 port="$video_port" \
    caps="application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=96" \
    ! rtpjitterbuffer latency=$jitter_ms ! rtpvp8depay wait-for-keyframe=true ! webmmux name=mux \
    ! filesink location="$dir_b/baseline.webm" buffer-mode=unbuffered \
    udpsrc address=127.0.0.1 port="$audio_port" \
    caps="application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,encoding-params=(string)2,sprop-maxcapturerate=(string)48000,payload=111" \
    ! rtpjitterbuffer latency=$jitter_ms ! rtpopusdepay ! mux. \
    >"$dir_b/receiver.log" 2>&1 &
receiver_pid=$!
pids+=("$receiver_pid")
# shellcheck disable=SC2086 # the descriptions are meant to split into gst-launch arguments
gst-launch-1.0 $video ! udpsink host=127.0.0.1 port="$video_port" bind-address=127.0.0.1 \
    $audio ! udpsink host=127.0.0.1 port="$audio_port" bind-address=127.0.0.1 \
    >"$dir_b/sender.log" 2>&1 &
sender_pid=$!
pids+=("$sender_pid")
deadline=$((SECONDS + 15))
until [[ -s "$dir_b/baseline.webm" ]]; do
    ((SECONDS < deadline)) || die "the baseline records nothing; see $dir_b/*.log"
    sleep 0.05
done
say "warm-up ${warmup} s"
sleep "$warmup"
window_pids=("$confd_pid" "$client_pid" "$receiver_pid" "$sender_pid")
window_files=("$recording" "$dir_b/baseline.webm")
window
mbps_a=$(mbps "${grown[$recording]}" "$wall")
mbps_b=$(mbps "${grown[$dir_b/baseline.webm]}" "$wall")
cpu_confd=$(cpu_seconds "$confd_pid")
cpu_client=$(cpu_seconds "$client_pid")
hwm_confd=$(kib_field "$confd_pid" VmHWM)
rss_confd=$(kib_field "$confd_pid" VmRSS)
hwm_client=$(kib_field "$client_pid" VmHWM)
nthreads_confd=$(awk '$1 == "Threads:" {print $2}' /proc/"$confd_pid"/status)
cpu_baseline=$(cpu_seconds "$receiver_pid")
cpu_sender=$(cpu_seconds "$sender_pid")
hwm_baseline=$(kib_field "$receiver_pid" VmHWM)
rss_baseline=$(kib_field "$receiver_pid" VmRSS)
hwm_sender=$(kib_field "$sender_pid" VmHWM)
nthreads_baseline=$(awk '$1 == "Threads:" {print $2}' /proc/"$receiver_pid"/status)
stop_process "$client_pid" INT 10
((stop_rc == 0)) || die "whip-client exited $stop_rc after SIGINT; see $dir_a/client.log"
stop_process "$confd_pid" TERM 15
((stop_rc == 0)) || say "confd exited $stop_rc after SIGTERM"
stop_process "$sender_pid" INT 10
stop_process "$receiver_pid" INT 10 # -e: EOS first, so webmmux finishes the file
kfpm_a=$(keyframes_per_minute "$recording")

# Per-thread CPU of confd over the window, grouped by thread name. GStreamer names a
# streaming thread "<element>:<pad>" (cut to 15 characters): the recorder's appsrcs are
# "src-<track>" (depayloader, webmmux and filesink run in those threads: webmmux is
# CollectPads-based in 1.22 and has no thread of its own), its disk worker "rec-disk".
# webrtcbin's helper threads get names longer than 15 characters, which Linux refuses, so
# they keep their creator's name, "media-confd", like the engine's own thread (the oldest).
engine_tid=$(awk '$4 == "media-confd" {print $1}' "$scratch/threads1-$confd_pid.txt" | sort -n | head -n 1)
# Per thread group: "group NAME TICKS NS", and "thread GROUP COMM COUNT TICKS NS". With an
# engine TID the groups are confd's; without, the baseline's: udpsrc threads receive into
# the jitterbuffers, whose output threads run depay -> webmmux -> filesink.
group_threads() {
    awk -v engine="$2" '
        NR == FNR {ticks0[$1] = $2; ns0[$1] = $3; next}
        {
            ticks = $2 - ($1 in ticks0 ? ticks0[$1] : 0)
            ns = $3 - ($1 in ns0 ? ns0[$1] : 0)
            name = $4
            if (engine == "") group = name ~ /^udpsrc/ ? "receive" : name ~ /^rtpjitterbuffer/ ? "depay-mux" : "other"
            else if (name ~ /^src-/ || name ~ /^rec-/) group = "recorder"
            else if ($1 == engine) group = "engine"
            else if (name == "media-confd" || name ~ /^(nicesrc|dtls|queue[0-9]*:src|rtpjitterbuffer|rtpsession|rtpbin|rtpssrcdemux|rtpstorage|rtprtx|funnel|srtp|webrtcbin|nice)/) group = "webrtc"
            else group = "other"
            gt[group] += ticks; gn[group] += ns
            key = group "\t" name
            kt[key] += ticks; kn[key] += ns; count[key]++
            st += ticks; sn += ns
        }
        END {
            for (g in gt) printf "group\t%s\t%d\t%d\n", g, gt[g], gn[g]
            printf "group\tthreads\t%d\t%d\n", st, sn
            for (k in kt) printf "thread\t%s\t%d\t%d\t%d\n", k, count[k], kt[k], kn[k]
        }' "$scratch/threads0-$1.txt" "$scratch/threads1-$1.txt"
}
group_threads "$confd_pid" "$engine_tid" >"$scratch/threads-confd.tsv"
# CPU seconds of a group: from ticks ("ticks") or schedstat ("ns").
group_cpu() {
    awk -F'\t' -v g="$2" -v unit="$3" -v hz="$clk_tck" '
        $1 == "group" && $2 == g {if (unit == "ns") printf "%.3f", $4 / 1e9; else printf "%.2f", $3 / hz; f = 1}
        END {if (!f) printf(unit == "ns" ? "0.000" : "0.00")}' "$1"
}
confd_groups=$scratch/threads-confd.tsv
cpu_unattributed=$(awk -v a="$cpu_confd" -v b="$(group_cpu "$confd_groups" threads ticks)" \
    'BEGIN {printf "%.2f", a - b}')

group_threads "$receiver_pid" "" >"$scratch/threads-baseline.tsv"
baseline_groups=$scratch/threads-baseline.tsv
ns_baseline=$(group_cpu "$baseline_groups" threads ns)
kfpm_b=$(keyframes_per_minute "$dir_b/baseline.webm")

# --- C: POST to first recorded media ----------------------------------------------------------
say "C: POST -> first recorded media, $latency_runs publishes of ${latency_publish} s"
dir_c=$scratch/c
mkdir -p "$dir_c"
start_confd "$dir_c"
epoch_of() { date -d "$1" +%s.%N; }
: >"$dir_c/latency.tsv"
for run in $(seq "$latency_runs"); do
    room=latency$run
    log=$dir_c/client$run.log
    "$client" "${base}whip/$room" --duration "$latency_publish" >"$log" 2>&1 &
    client_pid=$!
    pids+=("$client_pid")
    # The first moment the recording file holds data: webmmux writes its header together
    # with the first frame.
    first_bytes=""
    deadline=$((SECONDS + 30))
    while [[ -z "$first_bytes" ]] && ((SECONDS < deadline)); do
        for file in "$dir_c/data/recordings/$room"/*/*.webm; do
            if [[ -s "$file" ]]; then
                first_bytes=$EPOCHREALTIME
            fi
        done
        [[ -n "$first_bytes" ]] || sleep 0.005
    done
    stop_rc=0
    wait "$client_pid" || stop_rc=$?
    ((stop_rc == 0)) || die "whip-client run $run exited $stop_rc; see $log"
    [[ -n "$first_bytes" ]] || die "run $run: nothing recorded"
    manifest=$(find "$dir_c/data/recordings/$room" -name manifest.json | head -n 1)
    started_at=$(sed -n 's/^ *"started_at": *"\([^"]*\)".*/\1/p' "$manifest")
    post=$(epoch_of "$(awk '/ POST /{print $1; exit}' "$log")")
    created=$(epoch_of "$(awk '/ 201 Created/{print $1; exit}' "$log")")
    connected=$(epoch_of "$(awk '/connection state: connected/{print $1; exit}' "$log")")
    media=$(epoch_of "$started_at")
    printf '%s\t%s\t%s\t%s\n' \
        "$(awk -v a="$post" -v b="$created" 'BEGIN {printf "%.0f", (b - a) * 1000}')" \
        "$(awk -v a="$post" -v b="$connected" 'BEGIN {printf "%.0f", (b - a) * 1000}')" \
        "$(awk -v a="$post" -v b="$media" 'BEGIN {printf "%.0f", (b - a) * 1000}')" \
        "$(awk -v a="$post" -v b="$first_bytes" 'BEGIN {printf "%.0f", (b - a) * 1000}')" \
        >>"$dir_c/latency.tsv"
    say "run $run: $(tail -n 1 "$dir_c/latency.tsv" | tr '\t' ' ') ms"
done
stop_process "$confd_pid" TERM 15
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report -----------------------------------------------------------------------------------
pct() { awk -v c="$1" -v w="$2" 'BEGIN {printf "%.1f %%", c / w * 100}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f×", a / b; else print "n/a"}'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
# One row for a thread group: CPU from ticks and from schedstat, with ratios.
group_row() {
    local label=$1 groups=$2 group=$3 wall=$4 ticks ns
    ticks=$(group_cpu "$groups" "$group" ticks)
    ns=$(group_cpu "$groups" "$group" ns)
    echo "| $label | $ticks | $(ratio "$ticks" "$cpu_baseline") | $ns | $(ratio "$ns" "$ns_baseline") | $(pct "$ns" "$wall") | | | |"
}
thread_rows() {
    awk -F'\t' -v hz="$clk_tck" -v who="$2" '$1 == "thread" {
        printf "| %s | %s | %s | %d | %.2f | %.3f |\n", who, $2, $3, $4, $5 / hz, $6 / 1e9}' "$1" |
        sort -t'|' -k3,3 -k8,8nr
}
ns_recorder=$(group_cpu "$confd_groups" recorder ns)
ns_depay_mux=$(group_cpu "$baseline_groups" depay-mux ns)
# median and max of column $1 of latency.tsv
stats() {
    cut -f"$1" "$dir_c/latency.tsv" | sort -n | awk '{v[NR] = $1}
        END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
             printf "%.0f | %.0f", m, v[NR]}'
}
ns_confd_threads=$(group_cpu "$confd_groups" threads ns)

cat <<EOF
## Recording one 720p30 VP8 + Opus publish: confd vs a bare gst-launch-1.0 pipeline

- $(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1); load average $load_before before, $load_after after
- confd and the baseline ran side by side: warm-up ${warmup} s, then one window of ${wall} s for both
- media written in the window (file growth / wall time): confd $mbps_a Mbps, baseline $mbps_b Mbps; video keyframes per minute in the whole file: confd $kfpm_a, baseline $kfpm_b (30 without requests)
- CPU: utime+stime from /proc/PID/stat (10 ms ticks) and, finer, the sum of the threads' schedstat run time (ns); "ratio" is against the baseline receiver; peak RSS is VmHWM, reset at the start of the window

| what | CPU s (utime+stime) | ratio | CPU s (schedstat) | ratio | % of one core | peak RSS MiB | ratio | threads |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
| **baseline**: gst-launch-1.0 udpsrc → rtpjitterbuffer → depay → webmmux → filesink | $cpu_baseline | 1.00× | $ns_baseline | 1.00× | $(pct "$ns_baseline" "$wall") | $(mib "$hwm_baseline") | 1.00× | $nthreads_baseline |
$(group_row "  baseline udpsrc threads: UDP receive into the jitterbuffers" "$baseline_groups" receive "$wall")
$(group_row "  baseline rtpjitterbuffer output threads: depay → webmmux → filesink" "$baseline_groups" depay-mux "$wall")
$(group_row "confd **recorder** threads: appsrc → depay → webmmux → filesink, disk worker" "$confd_groups" recorder "$wall")
$(group_row "confd webrtcbin threads: ICE, DTLS/SRTP, RTP session and jitterbuffer, helpers" "$confd_groups" webrtc "$wall")
$(group_row "confd engine (media) thread" "$confd_groups" engine "$wall")
$(group_row "confd other threads: HTTP, gRPC, GLib/GStreamer helpers" "$confd_groups" other "$wall")
| **confd, whole process** | $cpu_confd | $(ratio "$cpu_confd" "$cpu_baseline") | $ns_confd_threads | $(ratio "$ns_confd_threads" "$ns_baseline") | $(pct "$cpu_confd" "$wall") | $(mib "$hwm_confd") | $(ratio "$hwm_confd" "$hwm_baseline") | $nthreads_confd |
| (sender) whip-client: encode + webrtcbin | $cpu_client | | | | $(pct "$cpu_client" "$wall") | $(mib "$hwm_client") | | |
| (sender) gst-launch-1.0 RTP sender: encode + udpsink | $cpu_sender | | | | $(pct "$cpu_sender" "$wall") | $(mib "$hwm_sender") | | |

Like for like, the threads that run depay → webmmux → filesink: confd's recorder
$ns_recorder s against the baseline's jitterbuffer output threads $ns_depay_mux s
($(ratio "$ns_recorder" "$ns_depay_mux"), schedstat).
VmRSS at the end of the window: confd $(mib "$rss_confd") MiB, baseline $(mib "$rss_baseline") MiB.
CPU of confd threads that ended during the window (in the process total only): $cpu_unattributed s.

### Threads in the window

| process | group | thread name (comm) | count | CPU s (utime+stime) | CPU s (schedstat) |
|---|---|---|---:|---:|---:|
$(thread_rows "$baseline_groups" baseline)
$(thread_rows "$confd_groups" confd)

### WHIP POST → first recorded media ($latency_runs publishes, ms)

| interval | median | max |
|---|---:|---:|
| POST → 201 Created (confd answers after its ICE gathering) | $(stats 1) |
| POST → connection state "connected" (ICE + DTLS, seen by whip-client) | $(stats 2) |
| POST → first media in the recording (manifest started_at: capture time of the first muxed buffer) | $(stats 3) |
| POST → first bytes of the file on disk (polled every ~5 ms) | $(stats 4) |

Per run, ms (201 / connected / first media / first bytes): $(awk -F'\t' '{printf "%s%s/%s/%s/%s", (NR > 1 ? "; " : ""), $1, $2, $3, $4}' "$dir_c/latency.tsv").
EOF
