#!/usr/bin/env bash
# Save-heavy whole-host shutdown and restore at boot, on a Debian 13 host (libvirt 11.3, QEMU
# 10.0, systemd 257; tests/wholehost/host.sh trixie): 8 guests whose policy is to be saved,
# a real `systemctl poweroff`, then the next boot. The same guests for every contender:
#
#   sundown          sundown.service (the package, `host.sh install`; libvirt-guests disabled) with
#                    [defaults] stop = ["save", "destroy"] and its default [limits] saves (4)
#   sundown, saves = 8
#                    the same with [limits] saves = 8: every guest's save at once (not run
#                    unless named: bench/savehost.sh 3 "sundown, saves = 8")
#   libvirt-guests   Debian 13's libvirt-guests.service (enabled by default) with
#                    ON_SHUTDOWN=suspend and ON_BOOT=start, the rest Debian's defaults
#   auto-shutdown    libvirt 11.3's own: qemu.conf auto_shutdown_try_save = "persistent" (its
#                    auto_shutdown_restore is on by default: autostart-once), libvirt-guests
#                    disabled
#   auto-shutdown, by hand
#                    the same qemu.conf, its save triggered on the running host with
#                    `virt-admin daemon-shutdown --preserve` instead of a poweroff: how fast
#                    libvirt saves when logind does not cut it short (no poweroff, no boot)
#
# Per run, measured from outside the host and from the logs it leaves:
#   start → saved    from the contender's start to the last "shutting down, reason=saved" in
#                    the guests' QEMU logs (libvirt's own timestamps). The start: systemd's
#                    "Stopping sundown.service" / "Stopping libvirt-guests.service" in the
#                    host's journal; for auto-shutdown logind's "The system will power off
#                    now!" (the poweroff request, when libvirtd's PrepareForShutdown handler
#                    starts); by hand, the moment virt-admin is run
#   saved            how many of the guests' last QEMU ran until reason=saved
#   poweroff → off   from `systemctl poweroff` to the container's exit (host.sh poweroff)
#   boot → running   from the start of `host.sh boot` until `virsh list --state-running` in
#                    the host names every guest, polled from outside every 0.2 s
#   restored         how many of the running guests' QEMU was started from their saved state
#                    (`-incoming` on its command line in the QEMU log), not booted afresh
#
#   bench/savehost.sh [REPS]     e.g. bench/savehost.sh 3 (the default): every contender,
#                                REPS runs each, one table of medians
#   bench/savehost.sh REPS CONTENDER...
#                                only those contenders (named as above)
#   bench/savehost.sh --smoke    Sundown only, 2 guests, 1 run (under a minute), for
#                                scripts/test.sh
#
# Needs root and the package (scripts/package.sh). Boots whole hosts: run it under
# `flock -o /run/sundown-wholehost.lock` on a quiet machine. Touches no guest of this machine's
# libvirtd: the guests live inside the container's own.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ${1:-} == --smoke ]]; then
  smoke=1 reps=1 guests=2 contenders=(sundown)
else
  smoke=0 reps=${1:-3} guests=8 contenders=(sundown libvirt-guests auto-shutdown "auto-shutdown, by hand")
  # A subset, e.g. `bench/savehost.sh 1 libvirt-guests`, for a look at one contender.
  (($# < 2)) || contenders=("${@:2}")
fi
[[ $reps =~ ^[1-9][0-9]*$ ]] || { echo "savehost: REPS must be a positive number, not '$reps'" >&2; exit 2; }
host=tests/wholehost/host.sh
release=trixie
compgen -G "artifacts/sundown_*_amd64.deb" >/dev/null || { echo "savehost: no artifacts/sundown_*_amd64.deb: run scripts/package.sh" >&2; exit 1; }
# Under /var/tmp/sundown-host-*, where `host.sh sweep` finds what a killed run leaves.
dir=
work=$(mktemp -d)
trap '[[ -z $dir ]] || "$host" remove "$dir" || true; rm -rf "$work"' EXIT

say() { printf 'savehost: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
now() { local t=$EPOCHREALTIME; printf '%s\n' "${t/,/.}"; }
# Seconds between two epoch times, one decimal.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", b - a }'; }

names=()
for ((i = 1; i <= guests; i++)); do names+=("save-$i"); done

# Epoch seconds of a QEMU log's timestamp ("2026-12-01 21:50:01.123+0000: …").
qemu_time() { date -u -d "${1:0:23}" +%s.%N; }

# The last QEMU section of a guest's log (libvirt appends one per start, from "starting up").
last_section() {
  awk '/: starting up/ { s = "" } { s = s $0 "\n" } END { printf "%s", s }' "$dir/root/var/log/libvirt/qemu/$1.log"
}

# Prints "SAVED LAST LOST" for the host's guests: how many were saved, the epoch time of the
# last save (empty if none), and how many saves left no "reason=saved" in the guest's QEMU log.
# A save is the log's line or, where that is missing and $1 is "images" (the host is off: no
# save is still being written), the managed-save image libvirt keeps
# until the guest is started again (its mtime: the end of the save): libvirt writes the QEMU
# logs through virtlogd, and a virtlogd stopped during the host's shutdown loses the line.
saves() {
  local name line t last= count=0 lost=0 image
  for name in "${names[@]}"; do
    line=$(last_section "$name" | grep -F 'shutting down, reason=saved' | tail -n 1) || true
    image=$dir/root/var/lib/libvirt/qemu/save/$name.save
    if [[ -n $line ]]; then
      t=$(qemu_time "$line")
    # libvirt writes the image's magic as "LibvirtQemudPart" and makes it "LibvirtQemudSave"
    # only once the save is complete: a cut-short save is no save.
    elif [[ ${1:-} == images && -f $image && $(head -c 16 "$image") == LibvirtQemudSave ]]; then
      t=$(stat -c %.9Y "$image")
      lost=$((lost + 1))
    else
      continue
    fi
    count=$((count + 1))
    [[ -z $last ]] || awk -v a="$t" -v b="$last" 'BEGIN { exit !(a > b) }' && last=$t
  done
  printf '%s %s %s\n' "$count" "${last:-—}" "$lost"
}

# The epoch time of the first journal line of the host's last boot that matches ERE $1.
journal_time() {
  # Reads to the end: an early exit (grep -m 1) would fail the pipeline under pipefail.
  journalctl -D "$dir/root/var/log/journal" -b 0 --no-pager -o short-unix |
    re=$1 awk '!found && $0 ~ ENVIRON["re"] { print $1; found = 1 }'
}

# What each contender is, written into the host before it boots.
configure() {
  local contender=$1
  case $contender in
    sundown*)
      local config=$'[defaults]\nstop = ["save", "destroy"]'
      [[ $contender != "sundown, saves = 8" ]] || config+=$'\n[limits]\nsaves = 8'
      "$host" install "$dir"
      install -D -m 644 /dev/stdin "$dir/root/etc/sundown/sundown.toml" <<<"$config"
      "$host" offline "$dir" systemctl disable libvirt-guests.service >/dev/null
      ;;
    libvirt-guests)
      printf 'ON_BOOT=start\nON_SHUTDOWN=suspend\n' >"$dir/root/etc/default/libvirt-guests"
      ;;
    auto-shutdown*)
      printf '\n# savehost.sh\nauto_shutdown_try_save = "persistent"\n' >>"$dir/root/etc/libvirt/qemu.conf"
      "$host" offline "$dir" systemctl disable libvirt-guests.service >/dev/null
      ;;
  esac
}

# How many guests the booted host runs.
running_count() {
  "$host" run "$dir" virsh list --state-running --name 2>/dev/null | grep -c . || true
}

# One run of one contender; appends a tab-separated row to $work/rows:
# contender, start → last save, saved, poweroff → off, boot → running, running, restored.
run_one() {
  local contender=$1 spec start saved last lost poweroff=— boot_s=— back=— restored=—
  dir=$(mktemp -u /var/tmp/sundown-host-save-XXXXXX)
  "$host" create "$dir" "$release"
  configure "$contender"
  "$host" boot "$dir"
  spec=$(for name in "${names[@]}"; do printf '%s\tdelay=2\n' "$name"; done)
  "$host" run "$dir" fleet.sh up - <<<"$spec" >/dev/null

  if [[ $contender == "auto-shutdown, by hand" ]]; then
    start=$(now)
    # libvirtd exits once it has preserved its guests, before it answers: virt-admin then says
    # "Disconnected … due to end of file" and fails. The saves are the judge.
    "$host" run "$dir" virt-admin daemon-shutdown --preserve >&2 || say "virt-admin: libvirtd went away without an answer (it exits when done)"
    local deadline=$((SECONDS + 120))
    until read -r saved last lost < <(saves) && ((saved == guests)); do
      ((SECONDS < deadline)) || { say "only $saved of $guests saved within 120 s"; break; }
      sleep 0.2
    done
  else
    local requested
    requested=$(now)
    poweroff=$(printf '%.1f' "$("$host" poweroff "$dir")")
    case $contender in
      sundown*) start=$(journal_time 'systemd\[1\]: Stopping sundown\.service') ;;
      libvirt-guests) start=$(journal_time 'systemd\[1\]: Stopping libvirt-guests\.service') ;;
      auto-shutdown)
        # libvirtd starts at logind's PrepareForShutdown, sent when the poweroff is asked for;
        # logind logs that moment as "The system will power off now!" when it logs it at all.
        start=$(journal_time 'systemd-logind\[[0-9]+\]: The system will power off now!')
        if [[ -z $start ]]; then
          say "auto-shutdown: no logind line for the poweroff request; its start is the moment host.sh asked"
          start=$requested
        fi
        ;;
    esac
    [[ -n $start ]] || die "$contender: its start is not in the host's journal"
    read -r saved last lost < <(saves images)

    local b0 deadline
    b0=$(now)
    "$host" boot "$dir"
    deadline=$((SECONDS + 120))
    until back=$(running_count) && ((back >= guests)); do
      ((SECONDS < deadline)) || { say "$contender: only $back of $guests running 120 s after the boot"; break; }
      sleep 0.2
    done
    boot_s=$(elapsed "$b0" "$(now)")
    restored=0
    for name in "${names[@]}"; do
      # Not `| grep -q`: its early exit would fail the pipeline under pipefail.
      [[ $(last_section "$name") == *-incoming* ]] && restored=$((restored + 1))
    done
  fi
  local to_last=—
  [[ $last == — ]] || to_last=$(elapsed "$start" "$last")
  ((lost == 0)) || say "$contender: $lost of the saves left no 'reason=saved' in their QEMU log; their managed-save image's time counts"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$contender" "$to_last" "$saved" "$poweroff" "$boot_s" "$back" "$restored" >>"$work/rows"
  say "$contender: start → last save $to_last s, $saved of $guests saved, poweroff → off ${poweroff} s, boot → running $boot_s s, $back running ($restored restored)"
  "$host" remove "$dir"
  dir=
}

"$host" image "$release" >/dev/null   # built once, outside the runs' timing
for ((run = 1; run <= reps; run++)); do
  for contender in "${contenders[@]}"; do
    say "run $run of $reps: $contender"
    run_one "$contender"
  done
done

# The median of the numbers on stdin ("—" where a run had none: then "—").
median() {
  sort -g | awk '$1 == "—" { none = 1 } $1 != "—" { v[++n] = $1 }
    END { if (none || n == 0) print "—"; else print (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }'
}
col() { awk -F'\t' -v c="$1" -v k="$2" '$1 == c { print $k }' "$work/rows" | median; }

printf '%s guests (delay=2, 96 MiB each), %s run(s) of each contender, medians.\n\n' "$guests" "$reps"
printf '| contender | start → every guest saved (s) | saved (of %s) | poweroff → off (s) | boot → all running (s) | running (of %s) | of them restored |\n' "$guests" "$guests"
printf '|---|---:|---:|---:|---:|---:|---:|\n'
for c in "${contenders[@]}"; do
  to_last=$(col "$c" 2) saved=$(col "$c" 3)
  # Not all saved: "every guest saved" never happened; say when the last one that was saved was.
  if [[ $saved != "$guests" ]]; then
    to_last="never: $saved saved, the last at $to_last"
  fi
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$c" "$to_last" "$saved" "$(col "$c" 4)" "$(col "$c" 5)" "$(col "$c" 6)" "$(col "$c" 7)"
done
