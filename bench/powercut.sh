#!/usr/bin/env bash
# Power cut: a whole Debian 13 host (tests/wholehost/host.sh) with Network UPS Tools as Debian
# users configure it — dummy-ups, upsd on 127.0.0.1:3493, upsmon primary with SHUTDOWNCMD
# "/sbin/shutdown -h +0", FINALDELAY 5, HOSTSYNC 15, Debian's units — and four guests: quick
# (3 s to shut down), slow-25 (25 s), slow-40 (40 s) and deaf (ignores ACPI). The test plays the
# cut in real time: the UPS goes on battery with battery.runtime 90 s falling a second a second,
# LB at 30 s (battery.runtime.low); at 0 the host's PID 1 gets SIGKILL — the power is gone.
# Contenders:
#   sundown                 the package (sundown.service; sundown-watch.service enabled),
#                           libvirt-guests disabled; stop = ["acpi 50s", "destroy"], the deaf one
#                           ["acpi 5s", "save", "destroy"]; [ups] margin 15s, budget 120s
#   NUT + libvirt-guests    no Sundown; libvirt-guests at Debian's defaults (ON_SHUTDOWN=shutdown,
#                           PARALLEL_SHUTDOWN=0, SHUTDOWN_TIMEOUT=300): it acts when upsmon
#                           shuts the host down at low battery
# Per run and contender: how many guests were safe (shut down or saved) when the power ended,
# when upsmon began the host's shutdown ("Executing automatic power-fail shutdown"), and per
# guest how its QEMU ended and how long before the cut (watched from outside the host, so it
# holds up to the kill) — or "running at the cut".
#
# The runs are the tests themselves (tests/Sundown.WholeHost.Tests/PowerCutTests.cs), which also
# assert what is certain; each writes its row to artifacts/powercut/CONTENDER.md, and this
# script prints every run's rows as one table.
#
#   bench/powercut.sh [REPS]   REPS runs of both contenders (default 3); about 2 minutes each
#
# Needs root and the package (scripts/package.sh). Boots whole hosts: run it under
# `flock -o /run/sundown-wholehost.lock` on a quiet machine. Touches no guest of this machine's
# libvirtd, and runs upsmon only inside the test host.
set -euo pipefail
cd "$(dirname "$0")/.."

reps=${1:-3}
[[ $reps =~ ^[1-9][0-9]*$ ]] || { echo "powercut: REPS must be a positive number, not '$reps'" >&2; exit 2; }
compgen -G "artifacts/sundown_*_amd64.deb" >/dev/null || { echo "powercut: no artifacts/sundown_*_amd64.deb: run scripts/package.sh" >&2; exit 1; }
contenders=(sundown "NUT + libvirt-guests")
results=artifacts/powercut
project=tests/Sundown.WholeHost.Tests
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT

tests/wholehost/host.sh image trixie >/dev/null   # built once, outside the runs' timing
tests/wholehost/host.sh sweep
dotnet build "$project" -c Release -nologo -clp:NoSummary -v quiet >&2
header=
for ((run = 1; run <= reps; run++)); do
  rm -rf "$results"
  echo "powercut: run $run of $reps" >&2
  if ! dotnet test --project "$project" -c Release --no-build --filter-class '*PowerCutTests' >"$results.log" 2>&1; then
    tail -n 40 "$results.log" >&2
    echo "powercut: the power-cut tests failed (whole log: $results.log)" >&2
    exit 1
  fi
  for file in "$results"/*.md; do
    [[ -f $file ]] || continue
    header=$(head -n 1 "$file")
    # The run's number after the contender's name.
    tail -n 1 "$file" | awk -F'|' -v run="$run" 'BEGIN { OFS = "|" } { sub(/ +$/, "", $2); $2 = $2 " (run " run ") "; print }' >>"$rows"
  done
done
[[ -n $header ]] || { echo "powercut: no test wrote a row (see $results.log)" >&2; exit 1; }

printf '%s\n' "$header"
awk -F'|' '{ printf "|"; for (i = 2; i < NF; i++) printf (i == 3 || i == 4) ? "---:|" : "---|"; print "" }' <<<"$header"
missing=0
for c in "${contenders[@]}"; do
  n=$(awk -F'|' -v c=" $c (run " 'index($2, c) == 1' "$rows" | wc -l)
  if ((n != reps)); then
    echo "powercut: $c has $n rows, not $reps" >&2
    missing=1
  fi
  awk -F'|' -v c=" $c (run " 'index($2, c) == 1' "$rows"
done
exit $missing
