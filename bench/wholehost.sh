#!/usr/bin/env bash
# Whole host shutdown: a real systemd powers off a Debian host (tests/wholehost/host.sh) with
# five guests on it — fast (1 s), slow (6 s), ACPI-deaf, paused, and one whose Sundown policy
# is to save it — once per contender, each with a 10 s ACPI timeout:
#   sundown                        the package: sundown-watch.service begins the stop at logind's
#                                  PrepareForShutdown, sundown.service's stop joins it;
#                                  stop = ["acpi 10s", "destroy"], the saved one ["save",
#                                  "destroy"], a 60 s budget
#   sundown.service alone          the same with sundown-watch.service disabled: the unit's stop,
#                                  when systemd stops it, does everything
#   libvirt-guests                 (trixie only) libvirt-guests.service, Debian's defaults
#                                  (ON_SHUTDOWN=shutdown, one guest at a time), SHUTDOWN_TIMEOUT=10
#   libvirt auto-shutdown          (trixie only) libvirt 11.3's own, in qemu.conf:
#                                  auto_shutdown_try_shutdown = "all", auto_shutdown_poweroff =
#                                  "all", auto_shutdown_wait = 10; libvirt-guests disabled
#   libvirt auto-shutdown + save   (trixie only) the same and auto_shutdown_try_save = "persistent"
# For each: the time from `systemctl poweroff` to the host's exit, how long systemd waited for
# the contender's unit (— for libvirt's auto-shutdown: it has none), and how each guest's QEMU
# ended (from libvirt's log of it). Then the data-safety table: every guest writes numbered,
# synced records to its own disk; once the host is down each disk is checked from outside
# (e2fsck, and the last record against the last one the guest had synced before the poweroff).
#
# The runs are the whole-host tests themselves (tests/Sundown.WholeHost.Tests: HostShutdownTests,
# AutoShutdownPeerTests), which also check what happened to every guest; each run writes its
# rows to artifacts/wholehost/RELEASE-CONTENDER.md, and this script prints the medians of the
# release's rows as one table: per contender the median of each time, and each guest's fate —
# the fate alone when every run had it, else how many runs had which ("saved ×2, killed … ×1").
#
#   bench/wholehost.sh [RELEASE] [REPS]   e.g. bench/wholehost.sh trixie 3 (the defaults);
#                                         RELEASE is bookworm (Debian 12) or trixie (Debian 13)
#
# Needs root and the package (scripts/package.sh). Boots whole hosts: run it under
# `flock -o /run/sundown-wholehost.lock` on a quiet machine. Touches no guest of this machine's
# libvirtd: the guests live inside the container's own.
set -euo pipefail
cd "$(dirname "$0")/.."

release=trixie
if [[ ${1:-} =~ ^[a-z]+$ ]]; then
  release=$1
  shift
fi
reps=${1:-3}
[[ $reps =~ ^[1-9][0-9]*$ ]] || { echo "wholehost: REPS must be a positive number, not '$reps'" >&2; exit 2; }
# The tests that record a row, and the contenders whose rows the release must have. The peers
# run on Debian 13 only (tests/wholehost/README.md); Debian 12's libvirt-guests table in
# bench/RESULTS.md was measured when its test ran there.
# "sundown" is the package as installed (sundown-watch.service begins the stop at logind's
# PrepareForShutdown); "sundown.service alone" is the same test with watch disabled.
case $release in
  bookworm)
    sundown=(--filter-method '*what_ran_on_Debian_12')
    filters=("${sundown[@]}")
    contenders=(sundown "sundown.service alone")
    ;;
  trixie)
    sundown=(--filter-method '*what_ran_on_Debian_13')
    filters=("${sundown[@]}" --filter-method '*Libvirt_guests_on_the_same_host*' --filter-method '*Libvirt_auto_shutdown*')
    contenders=(sundown "sundown.service alone" libvirt-guests "libvirt auto-shutdown" "libvirt auto-shutdown + save")
    ;;
  *) echo "wholehost: unknown release '$release' (bookworm or trixie)" >&2; exit 2 ;;
esac
compgen -G "artifacts/sundown_*_amd64.deb" >/dev/null || { echo "wholehost: no artifacts/sundown_*_amd64.deb: run scripts/package.sh" >&2; exit 1; }
results=artifacts/wholehost
project=tests/Sundown.WholeHost.Tests
rows=$(mktemp)
data_rows=$(mktemp)
data_header=
trap 'rm -f "$rows" "$data_rows"' EXIT

tests/wholehost/host.sh image "$release" >/dev/null   # built once, outside the runs' timing
tests/wholehost/host.sh sweep
dotnet build "$project" -c Release -nologo -clp:NoSummary -v quiet >&2
header=
for ((run = 1; run <= reps; run++)); do
  rm -rf "$results"
  echo "wholehost: run $run of $reps ($release)" >&2
  if ! dotnet test --project "$project" -c Release --no-build "${filters[@]}" >"$results.log" 2>&1 ||
    ! SUNDOWN_WHOLEHOST_WATCH=0 dotnet test --project "$project" -c Release --no-build "${sundown[@]}" >>"$results.log" 2>&1; then
    tail -n 40 "$results.log" >&2
    echo "wholehost: the whole-host tests failed (whole log: $results.log)" >&2
    exit 1
  fi
  for file in "$results/$release"-*.md; do
    [[ -f $file ]] || continue
    header=$(head -n 1 "$file")
    tail -n 1 "$file" >>"$rows"
  done
  for file in "$results/data/$release"-*.md; do
    [[ -f $file ]] || continue
    data_header=$(head -n 1 "$file")
    tail -n 1 "$file" >>"$data_rows"
  done
done
[[ -n $header ]] || { echo "wholehost: no test wrote a row for $release (see $results.log)" >&2; exit 1; }

printf '%s\n' "$header"
# The separator: a right-aligned column for each number, left for the words.
awk -F'|' '{ printf "|"; for (i = 2; i < NF; i++) printf (i == 3 || i == 4) ? "---:|" : "---|"; print "" }' <<<"$header"
missing=0
for c in "${contenders[@]}"; do
  n=$(awk -F'|' -v c=" $c " '$2 == c' "$rows" | wc -l)
  if ((n != reps)); then
    echo "wholehost: $c has $n rows on $release, not $reps (does its test run on $release?)" >&2
    missing=1
  fi
  ((n > 0)) || continue
  # Medians of the two times ("—" stays "—"); per guest its fate, or the count of each.
  awk -F'|' -v c=" $c " '
    function trim(s) { gsub(/^ +| +$/, "", s); return s }
    function median(list,   v, n, i, j, t) {
      n = split(list, v, " ")
      if (n == 0) return "—"
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
      return sprintf("%.1f", (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2)
    }
    $2 == c {
      runs++
      cols = NF - 1
      for (k = 3; k <= 4; k++) { x = trim($k); if (x != "—") num[k] = num[k] " " x }
      for (k = 5; k <= cols; k++) {
        f = trim($k)
        if (!((k, f) in count)) { order[k] = order[k] (order[k] == "" ? "" : SUBSEP) f }
        count[k, f]++
      }
    }
    END {
      line = "| " trim(c) " | " median(num[3]) " | " median(num[4]) " |"
      for (k = 5; k <= cols; k++) {
        n = split(order[k], fates, SUBSEP)
        if (n == 1) { cell = fates[1] }
        else { cell = ""; for (i = 1; i <= n; i++) cell = cell (i > 1 ? ", " : "") fates[i] " ×" count[k, fates[i]] }
        line = line " " cell " |"
      }
      print line
    }' "$rows"
done

# Data safety: each run's row as it is (every guest's disk, checked from outside once the host
# was down: clean, recovered — consistent once its journal is replayed — or damaged).
if [[ -n $data_header ]]; then
  printf '\n%s\n' "$data_header"
  awk -F'|' '{ printf "|"; for (i = 2; i < NF; i++) printf (i >= 3 && i <= 5) ? "---:|" : "---|"; print "" }' <<<"$data_header"
  for c in "${contenders[@]}"; do
    awk -F'|' -v c=" $c " '$2 == c' "$data_rows"
  done
fi
exit $missing
