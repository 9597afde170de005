#!/usr/bin/env bash
# Drain time on a real fleet: how long each contender takes until every guest is off,
# how many guests it forced off, how many processes it started and how much CPU it
# burned while waiting. Before every run of every contender the fleet is torn down and
# brought up again identically: 8 guests that power off 1..8 s after the ACPI button and
# one that ignores it. Every contender gets the same timeout T. The physical limit is
# the longest single guest's own time, max(8 s, T) = T: nobody can be done sooner.
#
#   bench/drain.sh [REPS] [T]      e.g. bench/drain.sh 3 15 (the defaults)
#   bench/drain.sh --smoke         2 guests, 1 run, T=3, for scripts/test.sh
#
# Contenders:
#   virsh loop        bench/peers/virsh-loop.sh, the serial loop the guides give
#   libvirt-guests    /usr/lib/libvirt/libvirt-guests.sh stop, ON_SHUTDOWN=shutdown,
#                     SHUTDOWN_TIMEOUT=T, PARALLEL_SHUTDOWN=0 (its default) and then 9
#   sundown           sundown stop with stop = ["acpi Ts", "destroy"]
#
# libvirt-guests ignores its environment (it assigns its defaults, then sources
# /etc/default/libvirt-guests), so it runs in a private mount namespace where a temporary
# file is bind-mounted over that path: the host's file is never modified, even if we die.
# It never destroys a guest: after the timeout it gives up and leaves the guest running
# for the host shutdown to kill (SIGTERM from libvirtd's stop, unclean for the guest).
# We count those as "left on" and destroy them after the run.
#
# Needs root, libvirtd and the fleet (tests/fleet/fleet.sh setup). Touches only fleet
# guests, and refuses to run if the host has any other guest (the contenders stop all).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ${1:-} == --smoke ]]; then
  smoke=1 reps=1 timeout=3
else
  smoke=0 reps=${1:-3} timeout=${2:-15}
fi
uri=qemu:///system
fleet=tests/fleet/fleet.sh
sundown=$PWD/artifacts/bin/sundown
lg=/usr/lib/libvirt/libvirt-guests.sh
[[ -x $sundown ]] || { echo "drain: $sundown is missing: run scripts/publish.sh" >&2; exit 1; }
[[ -x $lg ]] || { echo "drain: $lg is missing: apt-get install libvirt-clients" >&2; exit 1; }
source scripts/lib/quiet.sh
apt_install drain strace time
$fleet setup >/dev/null
# Every contender stops every guest on the host: never run beside someone else's.
$fleet foreign >/dev/null || { echo "drain: the host has guests that are not the fleet's" >&2; exit 1; }

work=$(mktemp -d)
# However we exit: no guests left behind, no temp files.
# libvirt-guests' stop leaves its list of guests behind (/var/lib/libvirt/libvirt-guests),
# which would make the host's next real stop a no-op: keep the host's own, if it had one.
lg_list=/var/lib/libvirt/libvirt-guests
[[ -e $lg_list ]] && cp -p "$lg_list" "$work/lg-list.saved"
restore_lg_list() {
  if [[ -e $work/lg-list.saved ]]; then cp -p "$work/lg-list.saved" "$lg_list"; else rm -f "$lg_list"; fi
}
trap '$fleet down >/dev/null 2>&1 || true; restore_lg_list; rm -rf "$work"' EXIT

# The fleet; names with spaces on purpose.
if ((smoke)); then
  printf 'quick one\tdelay=1\ndeaf one\tignore_acpi\n' >"$work/spec"
  slowest=1
else
  for d in 1 2 3 4 5 6 7 8; do printf 'guest %s s\tdelay=%s\n' "$d" "$d"; done >"$work/spec"
  printf 'deaf one\tignore_acpi\n' >>"$work/spec"
  slowest=8
fi
guests=$(grep -c . "$work/spec")
limit=$((timeout > slowest ? timeout : slowest))

printf '[defaults]\nstop = ["acpi %ss", "destroy"]\n' "$timeout" >"$work/sundown.toml"
lg_defaults() {  # PARALLEL_SHUTDOWN
  printf 'URIS=%s\nON_BOOT=ignore\nON_SHUTDOWN=shutdown\nSHUTDOWN_TIMEOUT=%s\nPARALLEL_SHUTDOWN=%s\n' \
    "$uri" "$timeout" "$1"
}
lg_defaults 0 >"$work/lg-serial"
lg_defaults "$guests" >"$work/lg-parallel"

# Runs a contender (its command line) under strace and /usr/bin/time; leaves the wall
# time, CPU and process counts in $work/result as "wall cpu forks execs". strace with
# --seccomp-bpf stops only on the traced calls, so the rest of the run goes untraced.
# time runs inside strace so its CPU figure (the contender and every child it waited
# for) excludes strace's own; its own execve is subtracted below.
traced() {
  rm -f "$work/time" "$work/result"
  strace -f -qq --seccomp-bpf -e trace=execve,fork,vfork,clone,clone3 -e signal=none \
    -o "$work/trace" /usr/bin/time -f '%e %U %S' -o "$work/time" "$@" >"$work/out" 2>&1 || true
  local execs forks
  # Successful execs (a PATH search leaves failed attempts); the first is time's own.
  execs=$(grep -E 'execve' "$work/trace" | grep -cE '= 0$' || true)
  # New processes, not threads (less the one time forks for the contender): clones without CLONE_THREAD (the call line, not the
  # "resumed" line, carries the flags), and forks.
  forks=$(grep -E '(clone3?|v?fork)\(' "$work/trace" | grep -vc 'CLONE_THREAD' || true)
  [[ -s $work/time ]] || { echo "drain: no timing for $*:" >&2; cat "$work/out" >&2; return 1; }
  # time starts with "Command exited with non-zero status N" when it was so.
  read -r wall user sys < <(tail -n 1 "$work/time")
  echo "$wall $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }') $((forks - 1)) $((execs - 1))" >"$work/result"
}

# Runs libvirt-guests with the defaults file $1 bind-mounted over the host's.
run_lg() {
  local defaults=$1
  shift
  # A stop that was not followed by a start leaves this list behind, and the next stop
  # then silently does nothing ("last stop was not followed by start").
  rm -f "$lg_list" /var/lock/libvirt-guests
  unshare -m --propagation private bash -c '
    mount --bind "$1" /etc/default/libvirt-guests || exit 1
    shift; "$@"' _ "$defaults" "$@"
}

run_contender() {  # NAME
  case $1 in
    "virsh loop") traced env VIRSH_URI="$uri" TIMEOUT="$timeout" bench/peers/virsh-loop.sh ;;
    "libvirt-guests serial") run_lg "$work/lg-serial" traced_lg ;;
    "libvirt-guests parallel") run_lg "$work/lg-parallel" traced_lg ;;
    sundown)
      rm -rf "$work/state"
      traced "$sundown" stop -c "$uri" --config "$work/sundown.toml" --state-dir "$work/state" --json ;;
  esac
}
# traced, exported for the namespace's bash.
traced_lg() { traced "$lg" stop; }
export -f traced traced_lg
export work lg lg_list

contenders=("virsh loop" "libvirt-guests serial" "libvirt-guests parallel" sundown)
: >"$work/rows"
for ((rep = 1; rep <= reps; rep++)); do
  for c in "${contenders[@]}"; do
    # Starting guests back to back, libvirt now and then fails to load a guest's cgroup
    # BPF program ("Resource temporarily unavailable"): tear down and try again.
    for attempt in 1 2 3; do
      $fleet down >/dev/null 2>&1
      $fleet up <"$work/spec" >"$work/fleet" 2>"$work/fleet.err" && break
      ((attempt < 3)) || { cat "$work/fleet.err" >&2; echo "drain: the fleet did not come up" >&2; exit 1; }
      echo "drain: the fleet did not come up ($(grep -m1 '^error: [^F]' "$work/fleet.err" || true)); again" >&2
      sleep 2
    done
    echo "drain: run $rep/$reps: $c" >&2
    run_contender "$c"
    # What the contender left: destroyed by it, shut down cleanly, or still running.
    forced=0 left=0 clean=0
    while IFS=$'\t' read -r uuid _ _; do
      state=$(virsh -q -c "$uri" domstate --reason "$uuid")
      case $state in
        "shut off (destroyed)") forced=$((forced + 1)) ;;
        "shut off (shutdown)") clean=$((clean + 1)) ;;
        running*) left=$((left + 1)); virsh -q -c "$uri" destroy "$uuid" >/dev/null ;;
        *) echo "drain: $c left '$uuid' $state" >&2 ;;
      esac
    done <"$work/fleet"
    # Each guest that honours ACPI powers off well within T: a contender that did not
    # let them is broken (or the benchmark is), not slow.
    if ((clean != guests - 1)); then
      echo "drain: $c: only $clean of $((guests - 1)) guests shut down cleanly; its output:" >&2
      cat "$work/out" >&2
      exit 1
    fi
    if [[ $c == sundown ]]; then
      # Sundown's own account must agree with libvirt's.
      own=$(grep -c '"outcome": "destroyed"' "$work/out" || true)
      ((own == forced)) || echo "drain: sundown reports $own destroyed, libvirt $forced" >&2
    fi
    read -r wall cpu forks execs <"$work/result"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$wall" "$forced" "$left" "$forks" "$execs" "$cpu" >>"$work/rows"
    echo "drain:   wall $wall s, forced $forced, left on $left, forks $forks, execs $execs, cpu $cpu s" >&2
  done
done

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -F'\t' -v c="$1" -v k="$2" '$1 == c { print $k }' "$work/rows" | median; }

printf '%s guests (shutdown delays %s plus one that ignores ACPI), T = %s s, %s runs each, medians.\n' \
  "$guests" "$( ((smoke)) && echo "1 s" || echo "1..8 s")" "$timeout" "$reps"
printf 'Physical limit: the slowest guest alone, max(%s s, T) = %s s.\n\n' "$slowest" "$limit"
printf '| %-25s | %8s | %8s | %10s | %7s | %9s | %9s | %8s |\n' contender "wall (s)" "/ limit" "forced off" "left on" processes "execs" "CPU (s)"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|\n' --------------------------- ---------: ---------: -----------: --------: ----------: ----------: ---------:
for c in "${contenders[@]}"; do
  wall=$(col "$c" 2)
  printf '| %-25s | %8.1f | %8.2f | %10s | %7s | %9s | %9s | %8.2f |\n' "$c" "$wall" \
    "$(awk -v w="$wall" -v l="$limit" 'BEGIN { print w / l }')" \
    "$(col "$c" 3)" "$(col "$c" 4)" "$(col "$c" 5)" "$(col "$c" 6)" "$(col "$c" 7)"
done
echo
echo "wall: from start to exit. forced off: libvirt state reason 'destroyed'. left on: still running"
echo "when it exited (libvirt-guests gives up after T; the host shutdown kills them). processes:"
echo "fork/clone (no threads). execs: programs executed, the contender's own included. CPU:"
echo "user+sys of the contender and its children (not libvirtd's)."
