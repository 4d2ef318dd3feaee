#!/usr/bin/env bash
# Plots CPU (% of one core) against participants for the mixing benchmarks, ours against
# ffmpeg, into one PNG: the video composite (compose_720p.sh) and mix-minus audio
# (audio_mix_minus.sh). It reads the Markdown tables those scripts print, saved to files, so
# a plot can be redrawn from a run's saved output. Needs gnuplot (Debian: gnuplot-nox, for its
# pngcairo terminal); only this plot does, so it is not among the build dependencies.
#
#   --compose FILE LABEL   compose_720p.sh's output; LABEL names its settings in the legend
#                          (repeatable: e.g. the defaults and a control run; the outputs of
#                          --side a and --side b runs can be given with the same label)
#   --audio FILE           audio_mix_minus.sh's output (its "mix-minus for each" rows)
#   --out PNG              where to write the plot
#   --title TEXT           the plot's title
#
# usage: tests/bench/mixing/plot_cpu.sh --compose FILE LABEL [--compose FILE LABEL ...]
#            [--audio FILE] --out PNG [--title TEXT]
set -euo pipefail

compose_files=()
compose_labels=()
audio_file=""
out=""
title="Mixing CPU against participants (ours vs ffmpeg, same machine, same window)"

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}
while (($# > 0)); do
    case "$1" in
    --compose)
        (($# >= 3)) || usage
        compose_files+=("$2")
        compose_labels+=("$3")
        shift 2
        ;;
    --audio) audio_file=$2; shift ;;
    --out) out=$2; shift ;;
    --title) title=$2; shift ;;
    -h | --help) usage ;;
    *) echo "unknown argument: $1" >&2; usage ;;
    esac
    shift
done
[[ -n $out ]] || usage
((${#compose_files[@]} > 0)) || [[ -n $audio_file ]] || usage
if ! command -v gnuplot >/dev/null; then
    echo "gnuplot is not installed; on Debian: apt-get install -y gnuplot-nox" >&2
    exit 2
fi
if ! gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1; then
    echo "this gnuplot has no pngcairo terminal; on Debian: apt-get install -y gnuplot-nox" >&2
    exit 2
fi

# "participants ours ffmpeg" per row of compose_720p.sh's first table.
compose_points() {
    awk -F'|' '/VideoCompositor CPU/ {table = 1; next}
               table && /^\| *[0-9]+ *\|/ {
                   gsub(/[ %]/, "", $3); gsub(/[ %]/, "", $8)
                   # A side not measured (--side a or b) is "-": missing for gnuplot.
                   print $2 + 0, ($3 ~ /^[0-9.]+$/ ? $3 : "NaN"), ($8 ~ /^[0-9.]+$/ ? $8 : "NaN")
               }
               table && /^$/ {exit}' "$1"
}
# "participants ours ffmpeg" per "mix-minus for each" row of audio_mix_minus.sh's table.
audio_points() {
    awk -F'|' '/^\| *[0-9]+ *\| *mix-minus/ {gsub(/[ %]/, "", $4); gsub(/[ %]/, "", $6); print $2 + 0, $4, $6}' "$1"
}

script=$(mktemp /tmp/plot-cpu.XXXXXX.gp)
trap 'rm -f "$script"' EXIT
{
    echo "set terminal pngcairo size 1100,760 font 'Sans,11'"
    echo "set output '$out'"
    echo "set title \"$title\""
    echo "set xlabel 'participants (log scale)'"
    echo "set ylabel 'CPU, % of one core'"
    echo "set logscale x 2"
    echo "set xtics (1, 2, 4, 8, 9, 16, 32)"
    echo "set xrange [0.8:40]"
    echo "set yrange [0:*]"
    echo "set grid"
    echo "set bmargin 14"
    echo "set key at graph 0.5, screen 0.015 center bottom box height 1"
    echo "set xlabel offset 0,0.5"
    plots=()
    colours=("#c0392b" "#e67e22" "#8e44ad" "#16a085")
    declare -A colour_of=() # one colour per label, so the two halves of a one-sided pair match
    for i in "${!compose_files[@]}"; do
        points=$(compose_points "${compose_files[$i]}")
        [[ -n $points ]] || { echo "no compose rows in ${compose_files[$i]}" >&2; exit 1; }
        echo "\$compose$i << EOD"
        echo "$points"
        echo "EOD"
        if [[ -z ${colour_of[${compose_labels[$i]}]:-} ]]; then
            colour_of[${compose_labels[$i]}]=${colours[$((${#colour_of[@]} % ${#colours[@]}))]}
        fi
        colour=${colour_of[${compose_labels[$i]}]}
        label=${compose_labels[$i]//\"/\'}
        # A file from a one-sided run has one column of NaN: no line, no legend entry.
        if awk '$2 != "NaN" {found = 1} END {exit !found}' <<<"$points"; then
            plots+=("\$compose$i using 1:2 with linespoints lw 2 pt 7 lc rgb '$colour' title \"720p30 composite, VideoCompositor ($label)\"")
        fi
        if awk '$3 != "NaN" {found = 1} END {exit !found}' <<<"$points"; then
            plots+=("\$compose$i using 1:3 with linespoints lw 2 pt 5 dt 2 lc rgb '$colour' title \"720p30 composite, ffmpeg xstack + libvpx ($label)\"")
        fi
    done
    if [[ -n $audio_file ]]; then
        points=$(audio_points "$audio_file")
        [[ -n $points ]] || { echo "no mix-minus rows in $audio_file" >&2; exit 1; }
        echo "\$audio << EOD"
        echo "$points"
        echo "EOD"
        plots+=("\$audio using 1:2 with linespoints lw 2 pt 7 lc rgb '#2471a3' title 'mix-minus audio, AudioMixer'")
        plots+=("\$audio using 1:3 with linespoints lw 2 pt 5 dt 2 lc rgb '#2471a3' title 'mix-minus audio, ffmpeg amix'")
    fi
    joined=""
    for plot in "${plots[@]}"; do joined+="${joined:+, }$plot"; done
    echo "plot $joined"
} >"$script"
gnuplot "$script"
echo "wrote $out" >&2
