#!/usr/bin/env bash
# How `sundown list`, `plan` and `stop` scale with the number of guests: wall time and
# peak RSS of the published binary on libvirt's test driver with 1,000 and 5,000 guests
# (bench/make-test-host.sh). Each process that opens test:///FILE gets its own fresh copy
# of the host, so every stop starts from the same guests. The issue's target: stop on
# 5,000 guests in under 5 s and 100 MB. Then the planner alone on a simulated host of
# 10,000 guests (bench/PlannerBench: policy resolution, plan and schedule; no libvirt).
#
#   bench/scale.sh [N]...          e.g. bench/scale.sh 1000 5000 (the default)
#   bench/scale.sh --smoke         50 guests, and the planner on 200, for scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ${1:-} == --smoke ]]; then sizes=(50) planner=(--smoke); else sizes=("${@:-1000}"); ((${#@})) || sizes=(1000 5000); planner=(10000); fi
sundown=$PWD/artifacts/bin/sundown
[[ -x $sundown ]] || { echo "scale: $sundown is missing: run scripts/publish.sh" >&2; exit 1; }
source scripts/lib/quiet.sh
apt_install bench time

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# saves = 4: the test host has guests with managed-save images and the default ladder
# may save; the limit is the one the README recommends.
printf '[limits]\nsaves = 4\n' >"$work/sundown.toml"

# Runs a command once; prints "wall-s peak-RSS-MiB". Wall time from bash's microsecond
# clock. Exit 3 (some guests forced off) is a stop's normal answer on this host; any
# other failure is fatal.
measure() {
  local start end status=0
  start=$EPOCHREALTIME
  /usr/bin/time -f '%M' -o "$work/rss" "$@" >"$work/out" 2>"$work/err" || status=$?
  end=$EPOCHREALTIME
  if ((status != 0 && status != 3)); then
    echo "scale: '$*' failed with $status:" >&2
    tail -n 20 "$work/err" >&2
    exit 1
  fi
  awk -v s="$start" -v e="$end" -v r="$(tail -n 1 "$work/rss")" 'BEGIN { printf "%.2f %.1f\n", e - s, r / 1024 }'
}

printf '| %-8s | %-7s | %8s | %14s |\n' guests command "wall (s)" "peak RSS (MiB)"
printf '|%s|%s|%s|%s|\n' ---------: --------- ---------: ---------------:
for n in "${sizes[@]}"; do
  host="$work/host-$n.xml"
  bench/make-test-host.sh "$n" "$host"
  uri="test://$host"
  for cmd in list plan stop; do
    args=("$sundown" "$cmd" -c "$uri" --config "$work/sundown.toml" --json)
    [[ $cmd == list ]] && args=("$sundown" list -c "$uri" --json)
    if [[ $cmd != list ]]; then rm -rf "$work/state"; args+=(--state-dir "$work/state"); fi
    read -r wall rss < <(measure "${args[@]}")
    # The work was done: every guest appears in the output.
    seen=$(grep -c '"uuid"' "$work/out" || true)
    ((seen >= n)) || { echo "scale: $cmd on $n guests reported $seen guests" >&2; exit 1; }
    printf '| %8s | %-7s | %8s | %14s |\n' "$n" "$cmd" "$wall" "$rss"
  done
done

# The planner alone: its own small program, built here (Release) so that its figure is
# never a stale build's. The median of 5 runs after a warm-up, in-process.
dotnet build bench/PlannerBench -c Release -o "$work/planner" -nologo -v quiet -clp:NoSummary >"$work/build" 2>&1 ||
  { cat "$work/build" >&2; echo "scale: the planner benchmark does not build" >&2; exit 1; }
echo
printf '| %-8s | %5s | %9s | %15s |\n' guests tiers "wall (ms)" "allocated (MiB)"
printf '|%s|%s|%s|%s|\n' ---------: ------: ----------: ----------------:
dotnet "$work/planner/sundown-planner-bench.dll" "${planner[@]}"
