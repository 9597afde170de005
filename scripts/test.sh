#!/usr/bin/env bash
# Every test: format check, warning-free build, the Native AOT publish, the Debian package
# and lintian on it, the unit tests, the binding tests on libvirt's test driver, the
# integration tests on a fleet of real QEMU guests, the fault-injection suite (test driver,
# then fleet), the UPS tests against a real upsd, whole hosts' (Debian 12 and 13) shutdown
# and boot under systemd and a power cut on a UPS, and smoke runs of the benchmarks. Run as
# root on Debian 12 with the .NET SDK; it installs the packages it needs (quietly: a line per
# step, apt's output only when it fails) and starts virtlogd and libvirtd itself. Under
# CI=true a test that would skip for lack of root, libvirtd or a tool fails instead.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
source scripts/lib/quiet.sh

# Each step says when it began: where the time goes, in every log.
elapsed() { printf '%dm%02ds' $((SECONDS / 60)) $((SECONDS % 60)); }
step() { printf '\n== %s  [%s]\n' "$*" "$(elapsed)"; }

step "fleet: packages, libvirtd, guest kernel and initramfs (cached)"
tests/fleet/fleet.sh setup

# Both releases (tests/wholehost/README.md says which test runs on which); the Debian 13 image
# also holds libvirt 11.3's headers, which the binding's ABI test compiles against. Built side
# by side, and beside the installs, the format check, the build and the publish below: a cold
# debootstrap waits on the mirror and on dpkg more than on the CPU, and no guest boots until
# they are done (the wait before the tests: TCG guests booted while both cores are busy
# crash, and the timing tests want the CPU too). host.sh's package installs take turns
# (scripts/lib/quiet.sh) and each build prunes only its own release.
step "whole host: debootstrap, systemd-nspawn, the Debian 12 and Debian 13 host images (cached; built in the background)"
# Each in a process group of its own (setsid), so that stop_images can end it with its
# debootstrap and dpkg.
setsid tests/wholehost/host.sh image bookworm &
bookworm_image=$!
setsid tests/wholehost/host.sh image trixie &
trixie_image=$!
# A step below that fails ends the script: the builds end with it (an interrupted one leaves
# only its .build directory, never a half-made image).
stop_images() {
  local pid
  for pid in ${bookworm_image:-} ${trixie_image:-}; do kill -- "-$pid" 2>/dev/null || true; done
}
trap stop_images EXIT
# Waits for both, even when one failed: nothing is left building behind us.
wait_for_images() {
  local bookworm_status=0 trixie_status=0
  wait "$bookworm_image" || bookworm_status=$?
  wait "$trixie_image" || trixie_status=$?
  bookworm_image= trixie_image=
  ((bookworm_status == 0)) || { echo "the Debian 12 host image failed to build" >&2; exit "$bookworm_status"; }
  ((trixie_status == 0)) || { echo "the Debian 13 host image failed to build" >&2; exit "$trixie_status"; }
}

# Debian's upsd and dummy-ups driver, for the UPS tests (tests/nut/nut.sh starts them, on
# loopback ports of their own, per test; nothing of NUT runs outside a test).
step "NUT: nut-server and nut-client (the UPS tests' real upsd)"
tests/nut/nut.sh setup

step "chromium (renders the timeline SVG in a test)"
apt_install chromium chromium
chromium --version

step "format"
dotnet format Sundown.slnx --verify-no-changes
# fleet.sh sources nothing (it is copied alone into the whole hosts): its quietly is a copy.
diff <(sed -n '/^quietly() {/,/^}/p' scripts/lib/quiet.sh) <(sed -n '/^quietly() {/,/^}/p' tests/fleet/fleet.sh) ||
  { echo "tests/fleet/fleet.sh's quietly differs from scripts/lib/quiet.sh's" >&2; exit 1; }

step "build (warnings are errors)"
dotnet build Sundown.slnx -c Debug -warnaserror -nologo -clp:NoSummary

# scripts/package.sh publishes the Native AOT binary (no warnings) with the package's version,
# then builds the .deb; check.sh checks it (contents, fields, scripts, lintian --fail-on error,
# an install, remove and purge into a scratch root). The tests below use that binary
# (artifacts/bin/sundown) and the whole-host tests install that package.
step "publish (Native AOT, no warnings) and package: the .deb, lintian (tests/package/check.sh)"
tests/package/check.sh

log=$(mktemp)
trap 'rm -f "$log"; stop_images' EXIT
status=0
# run_tests PROJECT [-- TEST-APP-ARGS...], e.g. a --filter-namespace for half a project.
run_tests() {
  set +e
  dotnet test --project "$1" --no-build -c Debug "${@:2}" 2>&1 | tee -a "$log"
  local code=${PIPESTATUS[0]}
  set -e
  ((code == 0)) || status=$code
}

step "whole host images: waiting for their build to end"
wait_for_images

step "tests: model, planner, engine, binding, CLI, faults on the test driver"
for project in tests/Sundown.*.Tests; do
  case $project in
    tests/Sundown.Integration.Tests | tests/Sundown.WholeHost.Tests) ;;
    # Its fleet half runs below, alone: here only the faults libvirt's test driver can make
    # (bad config and metadata, an unusable state directory, unreachable hosts, lost output).
    tests/Sundown.Faults.Tests) run_tests "$project" -- --filter-namespace Sundown.Faults.Tests.TestDriver ;;
    *) run_tests "$project" ;;
  esac
done

# Alone, after the others: TCG guests that boot while the CPU is busy compiling or running
# other tests can crash in early boot ("IO-APIC + timer doesn't work").
step "tests: the real fleet (libvirtd + QEMU guests, the published binary, the demo)"
run_tests tests/Sundown.Integration.Tests

# Alone too, for the same reason, and because it freezes the machine's libvirtd for 20 s:
# the faults whose timing only real QEMU guests show (an interrupted --only stop, libvirtd
# frozen mid-stop, a guest already shutting down).
step "tests: faults on the real fleet (libvirtd frozen, interrupted stops, the published binary)"
run_tests tests/Sundown.Faults.Tests -- --filter-namespace Sundown.Faults.Tests.OnFleet

# Last and alone too: Debian 12 and 13 hosts with systemd as PID 1 (debootstrap, cached;
# booted with systemd-nspawn, one at a time), their own libvirtd and guests, powered off and
# booted for real.
step "tests: whole hosts powered off and booted (Debian 12 and 13: systemd, libvirtd, QEMU guests, sundown.service)"
tests/wholehost/host.sh sweep   # hosts an interrupted run left behind
run_tests tests/Sundown.WholeHost.Tests

# One closing line in the plain form CI reads: sum the per-run summaries.
sum() { grep -E "^\s+$1: [0-9]+" "$log" | awk '{ n += $2 } END { print n + 0 }'; }
passed=$(sum succeeded) failed=$(sum failed) skipped=$(sum skipped)
echo
echo "tests: $passed passed, $failed failed, $skipped skipped"

# Tiny sizes: they prove the benchmarks still run (and leave no guests behind: drain.sh
# tears its fleet down however it exits), not how fast anything is.
step "benchmark smoke runs"
bench/list.sh --smoke
bench/scale.sh --smoke
bench/drain.sh --smoke
bench/savehost.sh --smoke
echo
echo "scripts/test.sh: $(elapsed) in all"
if [[ ${CI:-} == true && $skipped -gt 0 ]]; then
  echo "CI=true: $skipped skipped tests; CI must run every test" >&2
  exit 1
fi
exit "$status"
