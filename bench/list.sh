#!/usr/bin/env bash
# Start-up time and peak memory of `sundown list` (the published Native AOT binary) beside
# `virsh list --all`, on the same test-driver host of N guests (default 1000). Both parse
# the same host file when they connect, so the difference is the tool itself.
#
#   bench/list.sh [N] [REPETITIONS]        e.g. bench/list.sh 1000 15
#   bench/list.sh --smoke                  tiny sizes, for scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ${1:-} == --smoke ]]; then count=20 reps=2; else count=${1:-1000} reps=${2:-15}; fi
sundown=artifacts/bin/sundown
[[ -x $sundown ]] || { echo "bench: $sundown is missing: run scripts/publish.sh" >&2; exit 1; }
command -v virsh >/dev/null || { echo "bench: virsh is missing: apt-get install libvirt-clients" >&2; exit 1; }
source scripts/lib/quiet.sh
apt_install bench time

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
host="$work/host.xml"
bench/make-test-host.sh "$count" "$host"
uri="test://$host"

# Runs a command REPS times; prints "median-ms max-rss-KiB" of the runs. Wall time from
# bash's microsecond clock (/usr/bin/time rounds to 10 ms), peak RSS from /usr/bin/time.
measure() {
  local i start end
  for ((i = 0; i < reps; i++)); do
    start=$EPOCHREALTIME
    /usr/bin/time -f '%M' -o "$work/rss" "$@" >"$work/out" 2>"$work/err" || { cat "$work/err" >&2; return 1; }
    end=$EPOCHREALTIME
    echo "$start $end $(cat "$work/rss")"
  done | awk '{ print ($2 - $1) * 1000, $3 }' | sort -n | awk '{ wall[NR] = $1; if ($2 > rss) rss = $2 }
    END { printf "%.1f %.1f\n", wall[int((NR + 1) / 2)], rss / 1024 }'
}

# Guests each tool listed, to show they did the same work.
listed_sundown=$("$sundown" list -c "$uri" --json | grep -c '"uuid"')
listed_virsh=$(virsh -c "$uri" list --all --name | grep -c .)
[[ $listed_sundown == "$count" && $listed_virsh == "$count" ]] ||
  { echo "bench: expected $count guests, sundown listed $listed_sundown, virsh $listed_virsh" >&2; exit 1; }

printf '%s guests on test:///, %s runs each, median wall time and peak RSS\n\n' "$count" "$reps"
printf '| %-34s | %10s | %13s |\n' "command" "wall (ms)" "peak RSS (MiB)"
printf '|%s|%s|%s|\n' "------------------------------------" "------------" "----------------"
row() {
  local label=$1; shift
  read -r ms rss < <(measure "$@")
  printf '| %-34s | %10s | %14s |\n' "$label" "$ms" "$rss"
}
row "sundown list --json" "$sundown" list -c "$uri" --json
row "sundown list (table)" "$sundown" list -c "$uri"
row "virsh list --all" virsh -c "$uri" list --all
row "virsh list --all --name" virsh -c "$uri" list --all --name
