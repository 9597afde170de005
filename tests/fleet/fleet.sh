#!/usr/bin/env bash
# fleet.sh - a fleet of tiny, real QEMU guests for Sundown's integration tests and demo.
#
#   fleet.sh setup          install packages, start libvirtd, build (or reuse) the guest
#                           kernel + initramfs; prints the cache directory
#   fleet.sh up [SPEC|-]    define and start the guests of SPEC (default: stdin); prints
#                           one line per guest: UUID <TAB> NAME <TAB> SERIAL-LOG
#   fleet.sh down           destroy and undefine every fleet guest, delete their logs
#   fleet.sh foreign        list guests that are NOT ours (UUID <TAB> NAME); exit 1 if any
#
# SPEC: one guest per line, "NAME<TAB>OPTIONS"; blank lines and lines starting with '#'
# are ignored. OPTIONS (space-separated, all optional):
#   delay=N      seconds from the ACPI power button to power-off (default 3)
#   ignore_acpi  the guest never reacts to the power button
#   memory=MiB   (default 96)
#   os=URI       libosinfo OS id (default an Alpine Linux id)
#   paused       started, then suspended once it is up
#   transient    created with `virsh create` instead of defined
#   shutoff      defined, not started
#
# A guest is a kernel + busybox initramfs (guest/init, guest/power-button) with no disk
# and no network; its serial console is logged to /var/log/sundown-fleet/UUID.log, where
# it prints "guest: up", "guest: power button" and "guest: powering off".
#
# The fleet only ever touches domains whose <title> is sundown-test-fleet, so it can
# run next to other guests; `foreign` lets a test refuse to run a host-wide stop there.
#
# Environment: SUNDOWN_FLEET_URI (default qemu:///system),
#              SUNDOWN_FLEET_CACHE (default /var/cache/sundown-fleet),
#              SUNDOWN_FLEET_BOOT_TIMEOUT (seconds `up` waits for the guests; 60).
# Needs root. Does not need systemd. stdout carries results only; progress goes to stderr.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
uri=${SUNDOWN_FLEET_URI:-qemu:///system}
cache_root=${SUNDOWN_FLEET_CACHE:-/var/cache/sundown-fleet}
log_dir=/var/log/sundown-fleet
# Under TCG on 2 cores, 8 guests booting at once took ~40 s next to a busy build.
boot_timeout=${SUNDOWN_FLEET_BOOT_TIMEOUT:-60}
marker=sundown-test-fleet
packages=(libvirt-daemon-system libvirt-clients qemu-system-x86 libvirt-dev busybox-static tini)
# The kernel we boot: whatever Debian's cloud kernel metapackage points at. Cloud
# kernels are small and have ACPI button and evdev as modules (loaded by guest/init).
kernel_meta=linux-image-cloud-amd64

# The temporary directory of the running command, removed however we exit.
tmp=
trap '[[ -z $tmp ]] || rm -rf "$tmp"' EXIT

say() { printf 'fleet: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
# Runs "$@" with stdout and stderr in a log; on failure prints the log and the exit code on
# stderr and returns that code. A copy of scripts/lib/quiet.sh's (keep the two alike): this
# script is also copied alone into the whole hosts, so it sources nothing. stdin is
# /dev/null: nothing may stop to ask. The log is a file, never a pipe: a daemon a package's
# postinst starts (libvirtd, through invoke-rc.d) inherits it and may hold it open for as long
# as it runs, which a pipe's reader would wait for.
quietly() {
  local log code=0
  log=$(mktemp "${TMPDIR:-/tmp}/quietly.XXXXXX")
  "$@" </dev/null >"$log" 2>&1 || code=$?
  if ((code != 0)); then
    {
      printf -- '--- failed with exit code %d: %s\n' "$code" "$*"
      cat "$log"
      printf -- '--- (end of its output)\n'
    } >&2
  fi
  rm -f "$log"
  return "$code"
}
# -q: no "Domain 'x' started" chatter on stdout, which carries our results.
vsh() { virsh -q -c "$uri" "$@"; }

# Escapes a string for XML text and attribute values. Names are data: they may hold
# quotes, '&', '<', '$(...)'. The replacements are quoted because bash 5.2's
# patsub_replacement would otherwise read '&' in them as "the matched text".
xml_escape() {
  local s=$1
  s=${s//'&'/'&amp;'}
  s=${s//'<'/'&lt;'}
  s=${s//'>'/'&gt;'}
  s=${s//'"'/'&quot;'}
  s=${s//"'"/'&apos;'}
  printf '%s' "$s"
}

# ---------------------------------------------------------------- setup

install_packages() {
  local p missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q ' installed$' || missing+=("$p")
  done
  # Container images often ship without package lists: then apt cannot even tell
  # which kernel the metapackage depends on.
  if ((${#missing[@]} == 0)) && compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    return 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  say "refreshing the package lists"
  quietly apt-get update -q
  if ((${#missing[@]} > 0)); then
    say "installing ${missing[*]}"
    quietly apt-get install -y -q "${missing[@]}"
  fi
}

# Runs "$@" without the file descriptors above 2 that this shell inherited. The daemons
# outlive us: a caller's lock file or pipe they kept open would stay held for as long as
# they run (a `flock LOCK fleet.sh setup` would never release its lock).
without_inherited_fds() {
  local fd
  for fd in /proc/$BASHPID/fd/*; do
    fd=${fd##*/}
    ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null
  done
  "$@"
}

start_daemons() {
  mkdir -p /var/log/libvirt   # libvirtd refuses to start without it
  # Without systemd nobody starts them for us. `-r D,R,S`: a daemon killed a moment
  # ago may linger as a zombie, which plain pgrep still finds. Their stdio goes to a
  # file: a daemon holding our stdout would hang a caller reading $(fleet.sh setup).
  if ! pgrep -x -r D,R,S virtlogd >/dev/null; then
    say "starting virtlogd"
    (without_inherited_fds virtlogd -d) </dev/null >>/var/log/libvirt/fleet-daemons.log 2>&1
  fi
  if ! pgrep -x -r D,R,S libvirtd >/dev/null; then
    say "starting libvirtd"
    # Not `libvirtd -d`: QEMU daemonizes, so an exited QEMU is reaped by PID 1, and a
    # PID 1 that is no real init (containers, sandboxes) reaps late: libvirt then waits
    # ~1.5 s for the zombie on every destroy, save and guest power-off. tini -s is a
    # subreaper that reaps at once, so those take the time they take on a real host.
    (without_inherited_fds setsid tini -s -- libvirtd) </dev/null >>/var/log/libvirt/fleet-daemons.log 2>&1 &
  fi
  local i
  for ((i = 0; i < 60; i++)); do
    vsh version >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  die "libvirt does not answer on $uri after 30 s (see /var/log/libvirt/fleet-daemons.log)"
}

# Prints the kernel package the guest image is built from, as NAME=VERSION. The
# metapackage pins it: "Depends: linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)".
# One apt-cache call only: without a pkgcache (Docker images) each takes ~1 s.
kernel_package() {
  local pkg
  pkg=$(apt-cache show --no-all-versions "$kernel_meta" |
    sed -n 's/^Depends:.*\(linux-image-[^ ,]*\) (= \([^)]*\)).*/\1=\2/p' | head -n1) || true
  [[ -n $pkg ]] || die "cannot tell which kernel $kernel_meta depends on"
  printf '%s\n' "$pkg"
}

# Prints the cache directory for the guest image. Its name is a hash of every input,
# so a new kernel, busybox or guest script gets a new image, never a stale one.
guest_dir() {
  local key
  key=$({
    kernel_package
    dpkg-query -W -f='busybox-static=${Version}\n' busybox-static
    cat "$here/guest/init" "$here/guest/power-button"
  } | sha256sum | cut -c1-16)
  printf '%s/%s\n' "$cache_root" "$key"
}

# Builds vmlinuz + initrd.gz into directory $1.
build_guest() {
  local dir=$1 pkg kernel mod src
  pkg=$(kernel_package)
  say "building the guest image from $pkg into $dir"
  # Built next to its final place and renamed at the end: an interrupted build never
  # leaves a half-filled cache directory behind.
  tmp=$(mktemp -d "$cache_root/.build.XXXXXX")
  # Sandbox user root: the _apt user may not write into our 0700 temp dir.
  (cd "$tmp" && quietly apt-get download -q -o APT::Sandbox::User=root "$pkg")
  dpkg-deb -x "$tmp"/*.deb "$tmp/deb"

  kernel=$(find "$tmp/deb/boot" -name 'vmlinuz-*' -print -quit)
  [[ -n $kernel ]] || die "no boot/vmlinuz-* in $pkg"
  mkdir -p "$tmp/out"
  cp "$kernel" "$tmp/out/vmlinuz"

  # The initramfs: busybox (plus a symlink per applet, made now so /init needs no
  # setup), the two modules, /init and the power-button handler for busybox acpid.
  local root=$tmp/root
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,lib/modules,etc/acpi/PWRF}
  cp /bin/busybox "$root/bin/busybox"
  local applet
  while read -r applet; do
    [[ -e $root/$applet ]] || ln -s /bin/busybox "$root/$applet"
  done < <("$root/bin/busybox" --list-full)
  # Debian 12 ships plain .ko; newer kernels compress them (.ko.xz, .ko.zst). Plain
  # ones load whatever busybox insmod and the kernel support, so decompress here.
  for mod in kernel/drivers/input/evdev kernel/drivers/acpi/button; do
    src=$(find "$tmp/deb" -path "*/$mod.ko*" -print -quit)
    [[ -n $src ]] || die "no $mod.ko* in $pkg"
    case $src in
      *.ko) cat "$src" ;;
      *.ko.xz) xz -dc "$src" ;;
      *.ko.zst) zstd -qdc "$src" ;;
      *.ko.gz) gzip -dc "$src" ;;
      *) die "unknown module format: $src" ;;
    esac >"$root/lib/modules/${mod##*/}.ko"
  done
  install -m 755 "$here/guest/init" "$root/init"
  install -m 755 "$here/guest/power-button" "$root/etc/acpi/PWRF/00000080"
  (cd "$root" && find . | /bin/busybox cpio -o -H newc 2>/dev/null) | gzip -9 >"$tmp/out/initrd.gz"

  # QEMU runs as libvirt-qemu and must read these files (and traverse the directories).
  chmod 755 "$tmp/out"
  chmod 644 "$tmp/out"/*
  mv "$tmp/out" "$dir"
}

cmd_setup() {
  [[ $EUID -eq 0 ]] || die "setup needs root"
  install_packages
  start_daemons
  mkdir -p "$cache_root" "$log_dir"
  chmod 755 "$cache_root"
  local dir
  dir=$(guest_dir)
  if [[ -f $dir/vmlinuz && -f $dir/initrd.gz ]]; then
    say "guest image cached"
  else
    build_guest "$dir"
    # Older images (other kernel or guest scripts) and interrupted builds: 15 MB each.
    find "$cache_root" -mindepth 1 -maxdepth 1 ! -name "${dir##*/}" ! -name current \
      -exec rm -rf {} +
  fi
  # What `up` boots: it need not ask apt again.
  ln -sfn "${dir##*/}" "$cache_root/current"
  # Catches a cache under a private directory (e.g. a 0700 $HOME) before libvirt
  # fails with a less obvious "Permission denied" at the first start.
  if id libvirt-qemu >/dev/null 2>&1; then
    runuser -u libvirt-qemu -- test -r "$dir/vmlinuz" -a -r "$dir/initrd.gz" ||
      die "user libvirt-qemu cannot read $dir; choose another SUNDOWN_FLEET_CACHE"
  fi
  printf '%s\n' "$dir"
}

# ---------------------------------------------------------------- up

# Prints the domain XML. Arguments: name uuid memory-MiB kernel-cmdline os-uri dir log.
domain_xml() {
  local name uuid mem cmdline os dir log
  name=$(xml_escape "$1") uuid=$2 mem=$3 cmdline=$(xml_escape "$4") os=$(xml_escape "$5")
  dir=$(xml_escape "$6") log=$(xml_escape "$7")
  cat <<EOF
<domain type='qemu'>
  <name>$name</name>
  <uuid>$uuid</uuid>
  <title>$marker</title>
  <metadata>
    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
      <libosinfo:os id="$os"/>
    </libosinfo:libosinfo>
  </metadata>
  <memory unit='MiB'>$mem</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$dir/vmlinuz</kernel>
    <initrd>$dir/initrd.gz</initrd>
    <cmdline>$cmdline</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <serial type='file'>
      <source path='$log' append='on'/>
      <target port='0'/>
    </serial>
    <console type='file'>
      <source path='$log' append='on'/>
      <target type='serial' port='0'/>
    </console>
  </devices>
</domain>
EOF
}

cmd_up() {
  local spec=${1:--}
  [[ $spec == - ]] && spec=/dev/stdin
  local dir
  dir=$(readlink -f "$cache_root/current" || true)
  [[ -f $dir/initrd.gz ]] || die "no guest image in $cache_root: run '$0 setup' first"
  vsh version >/dev/null 2>&1 || die "libvirt does not answer on $uri: run '$0 setup' first"
  mkdir -p "$log_dir"

  tmp=$(mktemp -d)

  # One entry per guest, same index in each array.
  local -a names=() uuids=() logs=() states=() transients=()
  local line name opts opt delay memory os ignore state transient uuid words
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line%$'\r'}  # a spec written on Windows
    [[ -z ${line//[[:space:]]/} || $line == '#'* ]] && continue
    # Everything before the first TAB is the name, verbatim: spaces, quotes and all.
    name=${line%%$'\t'*}
    opts=
    [[ $line == *$'\t'* ]] && opts=${line#*$'\t'}
    [[ -n $name ]] || die "spec line without a name: $line"
    delay=3 memory=96 os=http://alpinelinux.org/alpinelinux/3.18 ignore='' state=running transient=0
    read -ra words <<<"$opts"
    for opt in "${words[@]}"; do
      case $opt in
        delay=*) delay=${opt#*=} ;;
        memory=*) memory=${opt#*=} ;;
        os=*) os=${opt#*=} ;;
        ignore_acpi) ignore=' guest.ignore_acpi=1' ;;
        paused | shutoff) [[ $state == running ]] || die "guest '$name': paused and shutoff exclude each other"
          state=$opt ;;
        transient) transient=1 ;;
        *) die "guest '$name': unknown option '$opt'" ;;
      esac
    done
    # Numbers only: they end up on the kernel command line and in the XML.
    [[ $delay =~ ^[0-9]+$ ]] || die "guest '$name': delay must be whole seconds, not '$delay'"
    [[ $memory =~ ^[0-9]+$ ]] || die "guest '$name': memory must be MiB, not '$memory'"
    [[ $transient == 0 || $state != shutoff ]] || die "guest '$name': a transient guest cannot be shutoff"
    uuid=$(cat /proc/sys/kernel/random/uuid)
    domain_xml "$name" "$uuid" "$memory" "console=ttyS0 guest.delay=$delay$ignore" "$os" \
      "$dir" "$log_dir/$uuid.log" >"$tmp/${#names[@]}.xml"
    names+=("$name") uuids+=("$uuid") logs+=("$log_dir/$uuid.log")
    states+=("$state") transients+=("$transient")
  done <"$spec"

  # Define all persistent guests first (cheap; a bad name stops us before anything
  # runs), then start all that should run in parallel: booting under TCG takes time.
  local i
  for i in "${!names[@]}"; do
    if ((transients[i] == 0)); then
      vsh define "$tmp/$i.xml" >/dev/null || die "cannot define '${names[i]}'"
    fi
  done
  local -a pid_of=() started_at=()
  for i in "${!names[@]}"; do
    if ((transients[i])); then
      vsh create "$tmp/$i.xml" >/dev/null &
    elif [[ ${states[i]} != shutoff ]]; then
      vsh start "${uuids[i]}" >/dev/null &
    else
      continue
    fi
    pid_of[i]=$!
    started_at[i]=${EPOCHREALTIME//[!0-9]/}  # microseconds
    say "starting '${names[i]}' (${uuids[i]})"
  done
  for i in "${!pid_of[@]}"; do
    wait "${pid_of[i]}" || die "cannot start '${names[i]}'"
  done

  # Wait until each guest has printed "guest: up": only then is acpid listening, so a
  # power-button press from a test is not lost during boot.
  local -a pending=("${!pid_of[@]}")
  local -a still=()
  local deadline=$((SECONDS + boot_timeout)) ms
  while ((${#pending[@]})); do
    still=()
    for i in "${pending[@]}"; do
      if grep -qF 'guest: up' "${logs[i]}" 2>/dev/null; then
        ms=$(((${EPOCHREALTIME//[!0-9]/} - started_at[i]) / 1000))
        say "'${names[i]}' is up after $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s"
      else
        still+=("$i")
      fi
    done
    pending=("${still[@]}")
    ((${#pending[@]})) || break
    if ((SECONDS >= deadline)); then
      for i in "${pending[@]}"; do
        say "'${names[i]}' did not print 'guest: up' within $boot_timeout s; end of ${logs[i]}:"
        # An empty log: the kernel never got to the console (with memory=64 it resets
        # in a loop before printing anything; 72 boots).
        tail -n 15 "${logs[i]}" >&2 2>/dev/null || true
      done
      die "guests did not boot; '$0 down' removes them"
    fi
    sleep 0.2
  done

  for i in "${!names[@]}"; do
    [[ ${states[i]} == paused ]] && vsh suspend "${uuids[i]}" >/dev/null
    printf '%s\t%s\t%s\n' "${uuids[i]}" "${names[i]}" "${logs[i]}"
  done
}

# ---------------------------------------------------------------- down, foreign

# Prints UUID <TAB> TITLE for every domain. Always by UUID: names are not safe to pass
# around, and a UUID cannot be mistaken for another domain's name or id.
domains() {
  local uuid title
  while read -r uuid; do
    [[ -n $uuid ]] || continue
    # A transient guest may vanish between the list and this lookup: then skip it.
    title=$(vsh desc --title "$uuid" 2>/dev/null) || continue
    printf '%s\t%s\n' "$uuid" "$title"
  done < <(vsh list --all --uuid)
}

cmd_down() {
  local uuid title name
  local -A persistent=()
  while read -r uuid; do persistent[$uuid]=1; done < <(vsh list --all --persistent --uuid)
  while IFS=$'\t' read -r uuid title; do
    [[ $title == "$marker" ]] || continue
    name=$(vsh domname "$uuid" 2>/dev/null) || continue  # a transient one just stopped
    say "removing '$name' ($uuid)"
    if [[ $(vsh domstate "$uuid" 2>/dev/null) != "shut off" ]]; then
      vsh destroy "$uuid" >/dev/null 2>&1 || true  # it may have stopped meanwhile
    fi
    if [[ -n ${persistent[$uuid]:-} ]]; then
      # --managed-save: libvirt refuses to undefine a guest that has a saved image.
      vsh undefine --managed-save --nvram "$uuid" >/dev/null
    fi
    # libvirt's own QEMU log, named after the guest (names cannot contain '/').
    rm -f "/var/log/libvirt/qemu/$name.log"
  done < <(domains)

  # Delete the serial logs of every guest that no longer exists, including transient
  # guests that shut themselves off earlier (and so were no longer listed above).
  local log
  local -A alive=()
  while read -r uuid; do alive[$uuid]=1; done < <(vsh list --all --uuid)
  for log in "$log_dir"/*.log; do
    [[ -e $log ]] || continue
    uuid=${log##*/}
    [[ -n ${alive[${uuid%.log}]:-} ]] || rm -f "$log"
  done

  # Idempotent, but never silently incomplete. (No grep -q: its early exit would fail
  # the pipeline under pipefail.)
  if domains | cut -f2 | grep -xF "$marker" >/dev/null; then
    die "some fleet guests are still there"
  fi
}

cmd_foreign() {
  local uuid title name found=0
  while IFS=$'\t' read -r uuid title; do
    [[ $title != "$marker" ]] || continue
    name=$(vsh domname "$uuid" 2>/dev/null) || continue
    printf '%s\t%s\n' "$uuid" "$name"
    found=1
  done < <(domains)
  return $((found))
}

# ---------------------------------------------------------------- main

case ${1:-} in
  setup) cmd_setup ;;
  up) cmd_up "${2:--}" ;;
  down) cmd_down ;;
  foreign) cmd_foreign ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac
