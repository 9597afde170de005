#!/usr/bin/env bash
# The demo: on a Debian 12 machine with the .NET SDK, as root. Installs what it needs,
# boots a small fleet of real QEMU guests (tests/fleet), publishes Sundown, shows the plan
# for a stop within a budget, runs the stop, shows what happened as a timeline (and writes
# it as an SVG picture to artifacts/demo/timeline.svg), brings the guests back with start,
# then removes them again: the machine is left as it was found, and the demo can be run again.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fleet=tests/fleet/fleet.sh
sundown=artifacts/bin/sundown
work=$(mktemp -d)
state=$work/state

say "Setting up libvirtd and the guest kernel (cached after the first run)"
$fleet setup >/dev/null

# The demo stops every guest of the host: it refuses to run beside anybody else's.
if ! $fleet foreign >/dev/null; then
  echo "This host has guests the demo did not create:" >&2
  $fleet foreign >&2 || true
  echo "The demo only runs on a host without other guests." >&2
  exit 1
fi

# The test of the demo has published already (scripts/test.sh does it first).
if [[ -z ${SUNDOWN_DEMO_SKIP_PUBLISH:-} || ! -x $sundown ]]; then
  say "Publishing sundown (Native AOT)"
  scripts/publish.sh | tail -1
fi

cleanup() { $fleet down >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
$fleet down >/dev/null

say "Booting the fleet: six real QEMU guests with different behaviours"
$fleet up >/dev/null <<'SPEC'
# name	options (delay: seconds from the power button to power-off)
web-1	delay=1
web-2	delay=2
db-main	delay=5
build box "ü"	delay=3
windows-like (ignores ACPI)	ignore_acpi os=http://microsoft.com/win/10
paused batch job	paused
SPEC
$sundown list

# The databases stop last (order 10 < 20); the ACPI-deaf guest gets 8 s, then is saved.
cat >"$work/sundown.toml" <<'TOML'
budget = "40s"

[defaults]
stop = ["acpi 8s", "destroy"]
order = 20

[[guest]]
match = "db-*"
order = 10

[[guest]]
os = "windows"
stop = ["acpi 8s", "save", "destroy"]
TOML
echo
echo "Config:"
sed 's/^/  /' "$work/sundown.toml"

say "sundown plan: what a stop would do, within a 40 s budget"
$sundown plan --config "$work/sundown.toml" --state-dir "$state"

say "sundown stop"
set +e
$sundown stop --config "$work/sundown.toml" --state-dir "$state"
status=$?
set -e
echo "exit status $status (0: every guest ended gracefully)"

say "sundown report: what happened, as a timeline"
mkdir -p artifacts/demo
$sundown report --state-dir "$state" --svg artifacts/demo/timeline.svg
echo "(the same timeline as a picture: artifacts/demo/timeline.svg)"

say "After the stop"
$sundown list

say "sundown start: bring back what was running (the saved guest resumes, the paused one is paused again)"
$sundown start --config "$work/sundown.toml" --state-dir "$state"
$sundown list

say "Removing the fleet"
$fleet down 2>/dev/null
trap - EXIT
cleanup
echo "done"
