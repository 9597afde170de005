#!/usr/bin/env bash
# host.sh - a whole Debian host with systemd as PID 1, libvirtd and QEMU guests, booted in a
# container on this machine: Sundown's systemd unit meets a real shutdown and boot.
#
#   host.sh image [RELEASE]    build (or reuse) the cached host image; prints its directory
#   host.sh create DIR [RELEASE]
#                              a new host in DIR (an overlay on the image): the fleet's guest
#                              image and fleet.sh; no Sundown, nothing booted
#   host.sh install DIR [DEB]  installs Sundown's package into the host while it is not booted,
#                              with apt, as the README says (DEB: artifacts/sundown_*_amd64.deb,
#                              built by scripts/package.sh); its postinst enables sundown.service
#   host.sh copy DIR DEB       copies DEB into the host as /var/tmp/NAME (prints that path), for
#                              an apt install inside the booted host
#   host.sh offline DIR CMD..  runs CMD in the host's root while it is not booted (systemctl
#                              enable/disable work offline)
#   host.sh boot DIR [NETNS]   boots it in the background and waits until systemd is up; with
#                              NETNS (a namespace of net-up), on that rack network instead of
#                              a network of its own
#   host.sh run DIR CMD...     runs CMD inside the booted host (stdin passes through)
#   host.sh poweroff DIR       `systemctl poweroff` inside; waits until the container has
#                              exited; prints the seconds that took
#   host.sh pid DIR            prints the PID (seen from outside) of the booted host's systemd:
#                              its PID namespace holds every process of the host, QEMU's too
#   host.sh cut DIR            the power cut: SIGKILL to the booted host's PID 1 at once, so that
#                              nothing inside finishes what it was doing; waits until the
#                              container has exited; prints the epoch time (s.µs) of the kill.
#                              A host that already powered off is left as it is (and prints the
#                              time all the same: the power ends then whatever ran)
#   host.sh remove DIR         kills it if it still runs, unmounts and deletes DIR
#   host.sh sweep              removes every host left in /var/tmp/sundown-host-* (the tests'
#                              hosts; a killed test run or SUNDOWN_KEEP_HOST=1 leaves them);
#                              DIR/release names each one's release, for a look at a kept host;
#                              and every rack network left (sundown-rack-*)
#   host.sh net-up NAME N      a private network for a rack of N hosts: network namespaces
#                              NAME-h1..NAME-hN, each with eth0 10.77.0.I/24 on a veth into a
#                              bridge in NAME-br; nothing of it is in this machine's namespace
#   host.sh net-down NAME      removes them (the hosts must be off)
#
# RELEASE is the Debian release of the host: bookworm (Debian 12: libvirt 9.0, systemd 252;
# the default) or trixie (Debian 13: libvirt 11.3, QEMU 10.0, systemd 257). Each is built with
# debootstrap (Debian's packages only) and cached under SUNDOWN_HOST_CACHE (default
# /var/cache/sundown-host) as RELEASE-KEY, keyed by its inputs. It boots
# with systemd-nspawn --boot, so systemd really orders the stop of sundown.service, libvirtd,
# virt-guest-shutdown.target and the guests' machine scopes. The guests run inside the
# container's own libvirtd: nothing on this machine's libvirtd is touched, so the test can
# run beside other guests. From outside, DIR/root is the host's file system (serial logs,
# Sundown's journal, the systemd journal); DIR/console.log is its console.
#
# Needs root, debootstrap and systemd-container (installed by `image`), and the fleet's
# guest image (tests/fleet/fleet.sh setup). stdout carries results only.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/lib/quiet.sh
source "$repo/scripts/lib/quiet.sh"
cache_root=${SUNDOWN_HOST_CACHE:-/var/cache/sundown-host}
fleet_cache=${SUNDOWN_FLEET_CACHE:-/var/cache/sundown-fleet}
mirror=http://deb.debian.org/debian
# libpam-systemd: polkitd (pulled in by libvirt-daemon-system) needs logind. libsqlite3-0:
# Sundown's package depends on it (and on libvirt0 and libc6, there already), and the host has
# no network for apt to fetch it. man-db and bash-completion: what an operator has, for the
# package's man pages and completion (tests/Sundown.WholeHost.Tests/PackageTests.cs).
include=systemd,systemd-sysv,dbus,libpam-systemd,libvirt-daemon-system,qemu-system-x86,libsqlite3-0,man-db,bash-completion
# What each release adds. trixie: libvirt 11.3's headers, which the binding's ABI test also
# compiles against (tests/Sundown.Libvirt.Tests/Abi), from outside the image; and Network UPS
# Tools 2.8.1 (upsd, the dummy-ups driver, upsmon) for the rack's power-cut tests
# (tests/Sundown.WholeHost.Tests/RackPowerCutTests.cs), which configure it per host. Installed, it
# stays off: Debian's nut.conf says MODE=none until a test writes its own.
declare -A include_extra=([bookworm]="" [trixie]=",libvirt-dev,nut-server,nut-client")
# Booting, and the container's systemd reaching "running": about 4 s here.
boot_timeout=60

say() { printf 'host: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# ---------------------------------------------------------------- image

# What the image is made of, after debootstrap. Part of the cache key: change this and the
# next run builds a new image.
configure_image() {
  local root=$1
  # Inside a container the cgroup tree is read-only: libvirt must not try to make its own
  # cgroups per guest, or no guest starts.
  printf '\n# host.sh: cgroups are read-only in the container\ncgroup_controllers = [ ]\n' \
    >>"$root/etc/libvirt/qemu.conf"
  # A persistent systemd journal: the test reads the last boot's shutdown from outside.
  mkdir -p "$root/var/log/journal"
  echo sundown-test-host >"$root/etc/hostname"
  # The fleet's guests log their serial consoles here.
  mkdir -p "$root/var/log/sundown-fleet"
}

# The release of a command's optional argument: bookworm unless named.
release_of() {
  local release=${1:-bookworm}
  [[ -v include_extra[$release] ]] || die "unknown release '$release' (bookworm or trixie)"
  printf '%s\n' "$release"
}

image_key() {
  local suite=$1
  {
    echo "$suite $mirror $include${include_extra[$suite]}"
    dpkg-query -W -f='debootstrap=${Version}\n' debootstrap
    declare -f configure_image
  } | sha256sum | cut -c1-16
}

install_tools() {
  apt_install host debootstrap systemd-container
}

cmd_image() {
  [[ $EUID -eq 0 ]] || die "image needs root"
  local suite
  suite=$(release_of "${1:-}")
  install_tools
  mkdir -p "$cache_root"
  local dir
  dir=$cache_root/$suite-$(image_key "$suite")
  if [[ -d $dir/root ]]; then
    say "$suite host image cached"
  else
    say "building the $suite host image into $dir (debootstrap, about a minute)"
    local build
    build=$(mktemp -d "$cache_root/.build.XXXXXX")
    # An interrupted build leaves only a .build directory, never a half-made image.
    # On failure debootstrap leaves its detailed log (dpkg's output) in the build's root.
    quietly debootstrap --variant=minbase --include="$include${include_extra[$suite]}" "$suite" "$build/root" "$mirror" ||
      die "debootstrap failed (its detailed log, if it got that far: $build/root/debootstrap/debootstrap.log)"
    configure_image "$build/root"
    mv "$build" "$dir"
    # Older images of this release (about 500 MB each) and unnamed ones from before releases
    # were a parameter, unless a host still runs on one, and builds interrupted more than an
    # hour ago (a younger one may be another run's). The other release's image stays.
    local old name
    for old in "$cache_root/$suite"-*/ "$cache_root"/[0-9a-f]*/ "$cache_root"/.build.*/; do
      old=${old%/}
      [[ -d $old && $old != "$dir" ]] || continue
      name=${old##*/}
      [[ $name == "$suite"-* || $name == .build.* || $name =~ ^[0-9a-f]{16}$ ]] || continue
      grep -qF "lowerdir=$old/root" /proc/self/mountinfo && continue
      [[ ${old##*/} != .build.* || -n $(find "$old" -maxdepth 0 -mmin +60) ]] || continue
      rm -rf "$old"
    done
  fi
  printf '%s\n' "$dir"
}

# ---------------------------------------------------------------- one host

# True while the host's container runs. DIR/exited is written by the shell that waits for
# systemd-nspawn the moment it exits: this machine's PID 1 may reap orphans late, and a
# zombie still answers kill -0.
running() {
  [[ -f $1/nspawn.pid && ! -f $1/exited ]]
}

# The container's systemd (PID 1 inside): the child of the systemd-nspawn recorded at boot.
host_pid() {
  local dir=$1 nspawn pid
  running "$dir" || return 1
  nspawn=$(cat "$dir/nspawn.pid")
  pid=$(pgrep -P "$nspawn" | head -n 1) || return 1
  [[ -n $pid ]] && printf '%s\n' "$pid"
}

cmd_create() {
  local dir=$1 release
  release=$(release_of "${2:-}")
  [[ ! -e $dir/root ]] || die "$dir already holds a host"
  local image guest
  image=$(cmd_image "$release")
  guest=$(readlink -f "$fleet_cache/current") || true
  [[ -f $guest/initrd.gz ]] || die "no fleet guest image in $fleet_cache: run tests/fleet/fleet.sh setup"

  # An overlay: every host starts from the same image, and what it writes (guests, logs,
  # journals) stays in DIR/upper across its reboots. A create that fails half-way leaves
  # nothing mounted and nothing behind.
  mkdir -p "$dir"/{upper,work,root}
  trap 'mountpoint -q "$dir/root" && umount "$dir/root"; rm -rf "$dir"' EXIT
  mount -t overlay overlay -o "lowerdir=$image/root,upperdir=$dir/upper,workdir=$dir/work" "$dir/root"
  local root=$dir/root

  # The guests' kernel and initramfs, where fleet.sh looks for them.
  mkdir -p "$root/var/cache/sundown-fleet"
  cp -r "$guest" "$root/var/cache/sundown-fleet/"
  ln -sfn "${guest##*/}" "$root/var/cache/sundown-fleet/current"
  install -m 755 "$repo/tests/fleet/fleet.sh" "$root/usr/local/bin/fleet.sh"

  # A container artifact, countered: this machine has cgroup v1, and there systemd 257 (Debian
  # 13) does not learn that a guest's machine scope emptied after it sent SIGTERM at shutdown,
  # so it waits the scope's stop timeout (90 s) for nothing before "Stopping timed out.
  # Killing." (on a cgroup v2 host it learns at once). Only guests left running for systemd to
  # kill meet this; 5 s keeps the peers' poweroffs from measuring the container instead (on
  # Debian 12 too, where systemd notices at once: there the drop-in changes nothing).
  # "machine-.scope.d" applies to every unit named machine-*.scope, libvirt's transient ones too.
  install -d "$root/etc/systemd/system/machine-.scope.d"
  printf '# host.sh: see tests/wholehost/host.sh (create)\n[Scope]\nTimeoutStopSec=5s\n' \
    >"$root/etc/systemd/system/machine-.scope.d/host-sh-stop-timeout.conf"
  echo "$release" >"$dir/release"
  trap - EXIT
}

cmd_offline() {
  local dir=$1
  shift
  [[ -d $dir/root/etc ]] || die "no host in $dir"
  running "$dir" && die "the host in $dir is booted; use run"
  systemd-nspawn -q -D "$dir/root" --register=no --keep-unit --private-network --pipe -- "$@"
}

# The package this checkout built: exactly one, or the caller must name it.
package_deb() {
  local debs=("$repo"/artifacts/sundown_*_amd64.deb)
  [[ -f ${debs[0]} ]] || die "no artifacts/sundown_*_amd64.deb: run scripts/package.sh"
  ((${#debs[@]} == 1)) || die "more than one artifacts/sundown_*_amd64.deb (${debs[*]##*/}): name the one to install"
  printf '%s\n' "${debs[0]}"
}

cmd_copy() {
  local dir=$1 deb=${2:?usage: host.sh copy DIR DEB}
  [[ -f $deb ]] || die "no package $deb"
  [[ -d $dir/root/var/tmp ]] || die "no host in $dir"
  install -m 644 "$deb" "$dir/root/var/tmp/${deb##*/}"
  printf '/var/tmp/%s\n' "${deb##*/}"
}

# apt, as an operator installs it, in the host's root before it boots: every dependency is in
# the image already (the host has no network), and the postinst enables sundown.service
# offline (deb-systemd-helper); it starts nothing, since systemd is not running there.
cmd_install() {
  local dir=$1 deb=${2:-}
  [[ -n $deb ]] || deb=$(package_deb)
  running "$dir" && die "the host in $dir is booted; copy the package in and run apt there"
  local inside
  inside=$(cmd_copy "$dir" "$deb")
  quietly cmd_offline "$dir" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$inside" ||
    die "apt-get install $inside failed in the host"
  rm -f "$dir/root$inside"
}

cmd_boot() {
  local dir=$1 network=--private-network
  if [[ -n ${2:-} ]]; then
    [[ -e /run/netns/$2 ]] || die "no network namespace $2: host.sh net-up makes it"
    network=--network-namespace-path=/run/netns/$2
  fi
  [[ -d $dir/root/etc ]] || die "no host in $dir"
  running "$dir" && die "the host in $dir is already booted"
  rm -f "$dir/exited" "$dir/nspawn.pid"
  # --register=no, --keep-unit: this machine has no systemd (or its machined) to register
  # with. --private-network: the guests get no way onto this machine's network. setsid: the
  # container must not share our process group or terminal. The shell around it waits for
  # it and records its end (see running).
  # shellcheck disable=SC2016 # expanded by the inner shell
  setsid bash -c '
    systemd-nspawn -D "$1/root" --boot --register=no --keep-unit "$2" \
      --console=read-only </dev/null >>"$1/console.log" 2>&1 &
    echo $! >"$1/nspawn.pid"
    wait $!
    echo $? >"$1/exited"' boot "$dir" "$network" </dev/null >/dev/null 2>&1 &
  local pid state deadline=$((SECONDS + boot_timeout))
  while ((SECONDS < deadline)); do
    if [[ -f $dir/exited ]]; then
      tail -n 20 "$dir/console.log" >&2
      die "the container exited while booting"
    fi
    if pid=$(host_pid "$dir"); then
      # "degraded" is up too: a unit failed, which the caller may want to see.
      state=$(nsenter -t "$pid" -a systemctl is-system-running 2>/dev/null) || true
      [[ $state == running || $state == degraded ]] && return 0
    fi
    sleep 0.2
  done
  tail -n 20 "$dir/console.log" >&2
  die "systemd inside did not come up within $boot_timeout s (last state: ${state:-none})"
}

cmd_run() {
  local dir=$1 pid
  shift
  pid=$(host_pid "$dir") || die "the host in $dir is not booted"
  # A clean environment, as a login inside would have: ours (SUNDOWN_FLEET_*, TMPDIR) means
  # nothing there.
  exec nsenter -t "$pid" -a -- env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 "$@"
}

cmd_poweroff() {
  local dir=$1 pid start
  pid=$(host_pid "$dir") || die "the host in $dir is not booted"
  start=${EPOCHREALTIME//[!0-9]/}
  # Its bus connection may drop as the host goes down: the wait below is the judge.
  nsenter -t "$pid" -a systemctl poweroff >&2 || true
  # Longer than any TimeoutStopSec= the tests write, so that systemd, not we, decides.
  local deadline=$((SECONDS + 300))
  until [[ -f $dir/exited ]]; do
    ((SECONDS < deadline)) || die "the host did not power off within 300 s"
    sleep 0.05
  done
  local us=$((${EPOCHREALTIME//[!0-9]/} - start))
  printf '%d.%06d\n' $((us / 1000000)) $((us % 1000000))
}

cmd_pid() {
  host_pid "$1" || die "the host in $1 is not booted"
}

cmd_cut() {
  local dir=$1 nspawn pid at
  if running "$dir"; then
    nspawn=$(cat "$dir/nspawn.pid")
    pid=$(pgrep -P "$nspawn" | head -n 1) || true
  fi
  at=$EPOCHREALTIME
  # Only our own container (see remove); SIGKILL to a PID namespace's init ends every process in
  # it at once, QEMU included: no unit stops, no guest finishes its shutdown, as when the power goes.
  if [[ -n ${pid:-} && $(cat "/proc/$nspawn/comm" 2>/dev/null) == systemd-nspawn ]]; then
    kill -KILL "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 30))
    until [[ -f $dir/exited ]]; do
      ((SECONDS < deadline)) || die "the container in $dir did not exit within 30 s of the cut"
      sleep 0.05
    done
  fi
  printf '%s\n' "$at"
}

cmd_remove() {
  local dir=$1 nspawn pid
  if running "$dir"; then
    nspawn=$(cat "$dir/nspawn.pid")
    # Only our own container: a stale pid file must not get another process killed.
    if [[ $(cat "/proc/$nspawn/comm" 2>/dev/null) == systemd-nspawn ]]; then
      # SIGKILL to a PID namespace's init ends every process in it, QEMU included; without
      # one yet (mid-boot), nspawn itself.
      pid=$(pgrep -P "$nspawn" | head -n 1) || true
      kill -KILL "${pid:-$nspawn}" 2>/dev/null || true
      local deadline=$((SECONDS + 30))
      until [[ -f $dir/exited ]]; do
        ((SECONDS < deadline)) || die "the container in $dir did not exit within 30 s"
        sleep 0.05
      done
    fi
  fi
  if mountpoint -q "$dir/root"; then
    umount "$dir/root"
  fi
  rm -rf "$dir"
}

# Removes every host the tests left behind (a killed run, SUNDOWN_KEEP_HOST=1).
cmd_sweep() {
  local dir netns
  for dir in /var/tmp/sundown-host-*; do
    [[ -d $dir ]] || continue
    say "removing the leftover host $dir"
    cmd_remove "$dir"
  done
  for netns in /run/netns/sundown-rack-*; do
    [[ -e $netns ]] || continue
    say "removing the leftover rack network ${netns##*/}"
    ip netns delete "${netns##*/}" || true
  done
}

# The rack's network: the containers reach each other through a bridge, and nothing else. Every
# part lives in namespaces made here (none in this machine's own), so no address of this
# machine's networks is ever reachable, let alone a target; the bridge's namespace has no route
# out. An address is 10.77.0.I, I the host's number.
cmd_net_up() {
  local name=$1 count=${2:?usage: host.sh net-up NAME N} i
  [[ $name == sundown-rack-* ]] || die "a rack network's name begins with sundown-rack- (sweep finds it so)"
  [[ ! -e /run/netns/$name-br ]] || die "the rack network $name exists already"
  ip netns add "$name-br"
  ip -n "$name-br" link add br0 type bridge
  ip -n "$name-br" link set br0 up
  for ((i = 1; i <= count; i++)); do
    ip netns add "$name-h$i"
    ip -n "$name-h$i" link set lo up
    ip link add eth0 netns "$name-h$i" type veth peer name "h$i" netns "$name-br"
    ip -n "$name-br" link set "h$i" master br0 up
    ip -n "$name-h$i" addr add "10.77.0.$i/24" dev eth0
    ip -n "$name-h$i" link set eth0 up
  done
}

cmd_net_down() {
  local name=$1 netns
  for netns in /run/netns/"$name"-*; do
    [[ -e $netns ]] || continue
    ip netns delete "${netns##*/}"
  done
}

# ---------------------------------------------------------------- main

case ${1:-} in
  image) cmd_image "${@:2}" ;;
  sweep) cmd_sweep ;;
  net-up) cmd_net_up "${@:2}" ;;
  net-down) [[ -n ${2:-} ]] || die "usage: host.sh net-down NAME"; cmd_net_down "$2" ;;
  create | install | copy | offline | boot | run | poweroff | pid | cut | remove)
    [[ -n ${2:-} ]] || die "usage: host.sh $1 DIR"
    "cmd_$1" "$2" "${@:3}"
    ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac
