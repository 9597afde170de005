#!/usr/bin/env bash
# Power cut on a rack: three whole Debian 13 hosts (tests/wholehost/host.sh) on one UPS, on a
# private network the test makes between its own containers (host.sh net-up), with Network UPS
# Tools as Debian users configure a rack: the primary runs dummy-ups, upsd (LISTEN on loopback
# and the rack's network) and upsmon primary (HOSTSYNC 45); the two secondaries run upsmon
# secondary against it; every upsmon has SHUTDOWNCMD "/sbin/shutdown -h +0", FINALDELAY 5. The
# fleets differ in speed: primary p-quick (3 s to shut down) and p-deaf (ignores ACPI); fast
# f-quick (3 s) and f-mid (10 s); slow s-slow (30 s, more than battery.runtime.low) and s-quick
# (3 s). The test plays the cut in real time: battery.runtime 80 s falling a second a second, LB
# at 20 s; the power ends at 0, or when the primary has powered off (NUT's killpower turns the
# UPS off), and then every host still running gets SIGKILL at once. Contenders:
#   sundown                 the package on every host (sundown.service, sundown-watch.service),
#                           libvirt-guests disabled; each host's own plan and margin (secondaries
#                           10 s, role "secondary" with a login on the UPS; the primary 25 s,
#                           fsd = true, each secondary's needs from its own `sundown plan`)
#   NUT + libvirt-guests    no Sundown; libvirt-guests at Debian's defaults (ON_SHUTDOWN=shutdown,
#                           PARALLEL_SHUTDOWN=0, SHUTDOWN_TIMEOUT=300) on every host: it acts when
#                           upsmon shuts each host down, after LB
# Per run and contender: how many guests were safe (shut down or saved) when the power ended,
# per host how many and when it powered off, the runtime left, and per guest how its QEMU ended
# and how long before the cut (watched from outside the hosts) — or "running at the cut".
#
# The runs are the tests themselves (tests/Sundown.WholeHost.Tests/RackPowerCutTests.cs), which
# also assert what is certain; each writes its row to artifacts/rackcut/CONTENDER.md, and this
# script prints every run's rows as one table.
#
#   bench/powercut.sh [REPS]   REPS runs of both contenders (default 3); about 1.5 minutes each
#   bench/powercut.sh --no-login [REPS]
#                              the control instead: Sundown's rack with the secondaries' logins
#                              left out (SUNDOWN_RACK_LOGIN=0), what the login is for
#
# Needs root and the package (scripts/package.sh). Boots whole hosts: run it under
# `flock -o /run/sundown-wholehost.lock` on a quiet machine. Touches no guest of this machine's
# libvirtd, no address of its networks, and runs upsmon only inside the test hosts.
set -euo pipefail
cd "$(dirname "$0")/.."

contenders=(sundown "NUT + libvirt-guests")
filter=(--filter-class '*RackPowerCutTests')
if [[ ${1:-} == --no-login ]]; then
  export SUNDOWN_RACK_LOGIN=0
  contenders=("sundown, no login on the secondaries")
  filter=(--filter-method '*Sundown_on_every_host_has_every_guest*')
  shift
fi
reps=${1:-3}
[[ $reps =~ ^[1-9][0-9]*$ ]] || { echo "powercut: REPS must be a positive number, not '$reps'" >&2; exit 2; }
compgen -G "artifacts/sundown_*_amd64.deb" >/dev/null || { echo "powercut: no artifacts/sundown_*_amd64.deb: run scripts/package.sh" >&2; exit 1; }
results=artifacts/rackcut
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
  if ! dotnet test --project "$project" -c Release --no-build "${filter[@]}" >"$results.log" 2>&1; then
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
awk -F'|' '{ printf "|"; for (i = 2; i < NF; i++) printf (i == 3 || i == 7) ? "---:|" : "---|"; print "" }' <<<"$header"
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
