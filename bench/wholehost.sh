#!/usr/bin/env bash
# Whole host shutdown: a real systemd powers off a Debian 12 host (tests/wholehost/host.sh)
# with five guests on it — fast (1 s), slow (6 s), ACPI-deaf, paused, and one whose
# Sundown policy is to save it — once with sundown.service and once with
# libvirt-guests.service (Debian's defaults: ON_SHUTDOWN=shutdown, one guest at a time),
# both with a 10 s ACPI timeout. For each: the time from `systemctl poweroff` to the host's
# exit, how long systemd waited for the contender's unit, and how each guest's QEMU ended
# (from libvirt's log of it).
#
# The runs are the whole-host tests themselves (tests/Sundown.WholeHost.Tests), which also
# check that every guest was handled before the host went down; each run writes its row to
# artifacts/wholehost/, and this script prints them as a table.
#
#   bench/wholehost.sh [REPS]       e.g. bench/wholehost.sh 3 (the default)
#
# Needs root and the published binary (scripts/publish.sh). Touches no guest of this
# machine's libvirtd: the guests live inside the container's own.
set -euo pipefail
cd "$(dirname "$0")/.."

reps=${1:-3}
[[ -x artifacts/bin/sundown ]] || { echo "wholehost: artifacts/bin/sundown is missing: run scripts/publish.sh" >&2; exit 1; }
results=artifacts/wholehost
project=tests/Sundown.WholeHost.Tests

tests/wholehost/host.sh image >/dev/null   # built once, outside the runs' timing
tests/wholehost/host.sh sweep
dotnet build "$project" -c Release -nologo -clp:NoSummary -v quiet >&2
rows=()
for ((run = 1; run <= reps; run++)); do
  rm -rf "$results"
  echo "wholehost: run $run of $reps" >&2
  # The two tests that record a row: Sundown's poweroff-and-boot and the libvirt-guests peer.
  if ! dotnet test --project "$project" -c Release --no-build \
    --filter-method '*Poweroff_handles_every_guest*' --filter-method '*Libvirt_guests_on_the_same_host*' >"$results.log" 2>&1; then
    tail -n 40 "$results.log" >&2
    echo "wholehost: the whole-host tests failed (whole log: $results.log)" >&2
    exit 1
  fi
  header=$(head -n 1 "$results/sundown.md")
  rows+=("$(tail -n 1 "$results/sundown.md")" "$(tail -n 1 "$results/libvirt-guests.md")")
done

printf '%s\n' "$header"
# The separator: a right-aligned column for each number, left for the words.
awk -F'|' '{ printf "|"; for (i = 2; i < NF; i++) printf (i == 3 || i == 4) ? "---:|" : "---|"; print "" }' <<<"$header"
printf '%s\n' "${rows[@]}" | sort -s -t'|' -k2,2
