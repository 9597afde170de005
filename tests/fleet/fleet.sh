#!/usr/bin/env bash
# fleet.sh - a fleet of tiny, real QEMU guests for Sundown's integration tests and demo.
#
#   fleet.sh setup          install packages, start libvirtd, build (or reuse) the guest
#                           kernel + initramfs; prints the cache directory
#   fleet.sh up [SPEC|-]    define and start the guests of SPEC (default: stdin); prints
#                           one line per guest: UUID <TAB> NAME <TAB> SERIAL-LOG
#   fleet.sh down           destroy and undefine every fleet guest (with any snapshots'
#                           metadata), delete their logs and their disk directories
#                           (/var/lib/sundown-fleet/UUID, snapshots' overlays included)
#   fleet.sh foreign        list guests that are NOT ours (UUID <TAB> NAME); exit 1 if any
#   fleet.sh disk-check FILE  check a guest's disk image (the top of its chain; QEMU may
#                           hold it) from outside; prints "clean|dirty <TAB> LAST"
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
#   disk         its own ext4 disk (qcow2, 64 MiB) at /var/lib/sundown-fleet/UUID/disk.qcow2,
#                a copy of the pristine one `setup` made; mounted at /data, where a writer
#                appends a numbered, fdatasync'ed record a line to /data/records every
#                ~0.2 s and prints "guest: synced N" once record N is on the disk
#   agent        the channel org.qemu.guest_agent.0 and Debian's qemu-ga in the guest; its
#                guest-shutdown runs the guest's /sbin/shutdown. `up` returns only once the
#                agent answers a guest-ping, so an `agent` step right after is not lost
#   agent_hang   the same, but qemu-ga is SIGSTOPped once it holds its port: it never
#                answers (libvirt: "Guest agent is not responding" after 5 s)
#
# A guest is a kernel + busybox initramfs (guest/init, guest/power-button, guest/halt,
# guest/shutdown) with no network; its serial console is logged to
# /var/log/sundown-fleet/UUID.log, where it prints "guest: up", "guest: power button" and
# "guest: powering off"; with a disk also "guest: synced N", and before it powers off
# (power button or agent) "guest: stopping the writer", "guest: writer stopped after
# record N" and "guest: /data synced and read-only"; with an agent "guest: agent up" and,
# from the agent's shutdown, "guest: shutdown -h -P +0 ...".
#
# Boot cost (one guest alone, `up` to its return, TCG, 2 busy cores): 3.3 s without
# options, 3.5 s with disk (virtio modules, mount, the writer), 4.0 s with agent (a 3.8 MB
# initrd instead of 1.2 MB; qemu-ga's start and the first guest-ping are most of it),
# 4.6 s with both. Guests without disk or agent boot the initrd they always did.
#
# disk-check copies FILE with `qemu-img convert -U` (the guest's view: the whole backing
# chain; a backing file named by an absolute path must be where that path says) and checks
# the copy: "dirty" if `e2fsck -fn` finds anything, if the journal needs recovery (the
# filesystem was not unmounted: a destroy, or a guest still running) or if the records are
# not one unbroken sequence. LAST is the last complete record in /records, read after the
# journal was replayed on the copy of a dirty one (what the guest would find at its next
# boot); 0 if there is none. An incomplete last line is a write the stop cut off before it
# was synced (the writer announces a record only after its fdatasync): not counted, not a
# lost record; said on stderr.
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
packages=(libvirt-daemon-system libvirt-clients qemu-system-x86 libvirt-dev busybox-static tini
  e2fsprogs qemu-utils)
# The kernel we boot: whatever Debian's cloud kernel metapackage points at. Cloud
# kernels are small and have ACPI button and evdev as modules (loaded by guest/init).
kernel_meta=linux-image-cloud-amd64
# The guest agent: Debian's, downloaded with its kernel and never installed on the host.
agent_pkg=qemu-guest-agent
# The guests' own disks (option disk), one directory per guest, snapshots' overlays beside.
disk_root=/var/lib/sundown-fleet
# Each guest disk: ext4 on this much qcow2.
disk_size=64M

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

# Prints the guest agent's package as NAME=VERSION (the candidate apt would download).
agent_package() {
  local version
  version=$(apt-cache show --no-all-versions "$agent_pkg" | sed -n 's/^Version: //p' | head -n1) || true
  [[ -n $version ]] || die "apt knows no $agent_pkg"
  printf '%s=%s\n' "$agent_pkg" "$version"
}

# Prints the cache directory for the guest image. Its name is a hash of every input,
# so a new kernel, busybox or guest script gets a new image, never a stale one.
guest_dir() {
  local key
  key=$({
    kernel_package
    agent_package
    dpkg-query -W -f='${Package}=${Version}\n' busybox-static e2fsprogs qemu-utils
    cat "$here/guest/init" "$here/guest/power-button" "$here/guest/halt" "$here/guest/shutdown"
    # How the image, the agent's part and the disk are made.
    declare -f build_guest build_agent build_disk
    printf 'disk_size=%s\n' "$disk_size"
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
  # The virtio ones only for guests with a disk or an agent (see guest/init for the order).
  for mod in kernel/drivers/input/evdev kernel/drivers/acpi/button \
    kernel/drivers/virtio/virtio_ring kernel/drivers/virtio/virtio \
    kernel/drivers/virtio/virtio_pci_modern_dev kernel/drivers/virtio/virtio_pci_legacy_dev \
    kernel/drivers/virtio/virtio_pci kernel/drivers/block/virtio_blk kernel/drivers/char/virtio_console; do
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
  install -m 755 "$here/guest/halt" "$root/sbin/guest-halt"
  rm -f "$root/sbin/shutdown"  # in case busybox ever gains an applet of that name
  install -m 755 "$here/guest/shutdown" "$root/sbin/shutdown"
  (cd "$root" && find . | /bin/busybox cpio -o -H newc 2>/dev/null) | gzip -9 >"$tmp/out/initrd.gz"
  build_agent "$tmp/agent" "$tmp/out"
  build_disk "$tmp/out"

  # QEMU runs as libvirt-qemu and must read these files (and traverse the directories).
  chmod 755 "$tmp/out"
  chmod 644 "$tmp/out"/*
  mv "$tmp/out" "$dir"
}

# Builds initrd-agent.gz into directory $2: initrd.gz followed by a second cpio archive
# with qemu-ga and the shared libraries ldd names (the kernel unpacks concatenated
# archives one over the other). Guests without an agent keep booting the small initrd.gz.
build_agent() {
  local work=$1 out=$2 lib
  mkdir -p "$work/root/usr/sbin"
  (cd "$work" && quietly apt-get download -q -o APT::Sandbox::User=root "$(agent_package)")
  dpkg-deb -x "$work"/*.deb "$work/deb"
  cp "$work/deb/usr/sbin/qemu-ga" "$work/root/usr/sbin/qemu-ga"
  # The same Debian release as the host: its libraries are the guest's. (/usr/sbin/qemu-ga
  # in the initramfs shadows nothing: busybox has no applet of that name.)
  while read -r lib; do
    mkdir -p "$work/root${lib%/*}"
    cp -L "$lib" "$work/root$lib"
  done < <(ldd "$work/root/usr/sbin/qemu-ga" | grep -o '/[^ ]*' | sort -u)
  [[ -e $work/root/lib64/ld-linux-x86-64.so.2 ]] || die "ldd named no /lib64/ld-linux-x86-64.so.2 for qemu-ga"
  (cd "$work/root" && find . | /bin/busybox cpio -o -H newc 2>/dev/null) | gzip -9 >"$work/agent.cpio.gz"
  cat "$out/initrd.gz" "$work/agent.cpio.gz" >"$out/initrd-agent.gz"
}

# Makes the pristine guest disk disk.qcow2 in directory $1: ext4, fully initialised now
# (no lazy init for the guest to do under TCG), empty. `up` only copies it, so it needs no
# qemu-img or mkfs (the whole hosts have neither).
build_disk() {
  local out=$1
  truncate -s "$disk_size" "$tmp/disk.raw"
  quietly mkfs.ext4 -q -F -L fleet -E lazy_itable_init=0,lazy_journal_init=0 "$tmp/disk.raw"
  quietly qemu-img convert -f raw -O qcow2 "$tmp/disk.raw" "$out/disk.qcow2"
  rm -f "$tmp/disk.raw"
}

cmd_setup() {
  [[ $EUID -eq 0 ]] || die "setup needs root"
  install_packages
  start_daemons
  mkdir -p "$cache_root" "$log_dir"
  chmod 755 "$cache_root"
  local dir
  dir=$(guest_dir)
  if [[ -f $dir/vmlinuz && -f $dir/initrd.gz && -f $dir/initrd-agent.gz && -f $dir/disk.qcow2 ]]; then
    say "guest image cached"
  else
    build_guest "$dir"
    # Older images (other kernel or guest scripts) and interrupted builds: 20 MB each. Not
    # those set up within a day: other checkouts of the repository on this machine (other
    # guest scripts, so other keys) would otherwise rebuild theirs after every setup here.
    find "$cache_root" -mindepth 1 -maxdepth 1 ! -name "${dir##*/}" ! -name current \
      -mmin +1440 -exec rm -rf {} +
  fi
  touch "$dir"  # in use: see the find above
  # What `up` boots: it need not ask apt again.
  ln -sfn "${dir##*/}" "$cache_root/current"
  # Catches a cache under a private directory (e.g. a 0700 $HOME) before libvirt
  # fails with a less obvious "Permission denied" at the first start.
  if id libvirt-qemu >/dev/null 2>&1; then
    runuser -u libvirt-qemu -- test -r "$dir/vmlinuz" -a -r "$dir/initrd.gz" -a -r "$dir/initrd-agent.gz" ||
      die "user libvirt-qemu cannot read $dir; choose another SUNDOWN_FLEET_CACHE"
  fi
  printf '%s\n' "$dir"
}

# ---------------------------------------------------------------- up

# Prints the domain XML. Arguments: name uuid memory-MiB kernel-cmdline os-uri dir log
# initrd-file disk-file-or-empty agent-channel(0/1).
domain_xml() {
  local name uuid mem cmdline os dir log initrd disk=${9:-} agent=${10:-0} extra=''
  name=$(xml_escape "$1") uuid=$2 mem=$3 cmdline=$(xml_escape "$4") os=$(xml_escape "$5")
  dir=$(xml_escape "$6") log=$(xml_escape "$7") initrd=$(xml_escape "${8:-initrd.gz}")
  if [[ -n $disk ]]; then
    extra+="
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$(xml_escape "$disk")'/>
      <target dev='vda' bus='virtio'/>
    </disk>"
  fi
  if ((agent)); then
    extra+="
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>"
  fi
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
    <initrd>$dir/$initrd</initrd>
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
    </console>$extra
  </devices>
</domain>
EOF
}

# Whether guest $1 (an index into cmd_up's arrays) is ready as far as its agent goes: an
# agent guest once its agent answers a guest-ping (qemu-ga holds the port a few seconds
# before it answers under TCG, and a test's `agent` step must not race that); an agent_hang
# guest once it printed that its agent hangs; any other guest at once.
agent_ready() {
  case ${agents[$1]} in
    agent) vsh qemu-agent-command "${uuids[$1]}" --timeout 2 '{"execute":"guest-ping"}' >/dev/null 2>&1 ;;
    agent_hang) grep -qF 'guest: agent hung' "${logs[$1]}" 2>/dev/null ;;
    *) return 0 ;;
  esac
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
  local -a names=() uuids=() logs=() states=() transients=() agents=()
  local line name opts opt delay memory os ignore state transient uuid words disk agent
  local extra initrd disk_file
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line%$'\r'}  # a spec written on Windows
    [[ -z ${line//[[:space:]]/} || $line == '#'* ]] && continue
    # Everything before the first TAB is the name, verbatim: spaces, quotes and all.
    name=${line%%$'\t'*}
    opts=
    [[ $line == *$'\t'* ]] && opts=${line#*$'\t'}
    [[ -n $name ]] || die "spec line without a name: $line"
    delay=3 memory=96 os=http://alpinelinux.org/alpinelinux/3.18 ignore='' state=running transient=0
    disk=0 agent=''
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
        disk) disk=1 ;;
        agent | agent_hang) [[ -z $agent || $agent == "$opt" ]] || die "guest '$name': agent and agent_hang exclude each other"
          agent=$opt ;;
        *) die "guest '$name': unknown option '$opt'" ;;
      esac
    done
    # Numbers only: they end up on the kernel command line and in the XML.
    [[ $delay =~ ^[0-9]+$ ]] || die "guest '$name': delay must be whole seconds, not '$delay'"
    [[ $memory =~ ^[0-9]+$ ]] || die "guest '$name': memory must be MiB, not '$memory'"
    [[ $transient == 0 || $state != shutoff ]] || die "guest '$name': a transient guest cannot be shutoff"
    uuid=$(cat /proc/sys/kernel/random/uuid)
    extra='' initrd=initrd.gz disk_file=''
    if ((disk)); then
      # A directory per guest: snapshots put their overlays beside the disk. Only cp here:
      # whole hosts have no qemu-img or mkfs. QEMU (libvirt-qemu) writes it.
      mkdir -p -m 755 "$disk_root"
      mkdir -m 755 "$disk_root/$uuid"
      disk_file=$disk_root/$uuid/disk.qcow2
      cp "$dir/disk.qcow2" "$disk_file"
      chmod 644 "$disk_file"
      if id libvirt-qemu >/dev/null 2>&1; then chown libvirt-qemu:libvirt-qemu "$disk_file"; fi
      extra+=' guest.disk=1'
    fi
    if [[ -n $agent ]]; then
      extra+=" guest.$agent=1" initrd=initrd-agent.gz
    fi
    domain_xml "$name" "$uuid" "$memory" "console=ttyS0 guest.delay=$delay$ignore$extra" "$os" \
      "$dir" "$log_dir/$uuid.log" "$initrd" "$disk_file" "$([[ -n $agent ]] && echo 1 || echo 0)" >"$tmp/${#names[@]}.xml"
    names+=("$name") uuids+=("$uuid") logs+=("$log_dir/$uuid.log")
    states+=("$state") transients+=("$transient") agents+=("$agent")
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
      if grep -qF 'guest: up' "${logs[i]}" 2>/dev/null && agent_ready "$i"; then
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
      # --managed-save: libvirt refuses to undefine a guest that has a saved image;
      # --snapshots-metadata: likewise one with snapshots (a test that died left them).
      # The overlays themselves go with the guest's disk directory below.
      vsh undefine --managed-save --snapshots-metadata --nvram "$uuid" >/dev/null
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
  # Likewise their disks (and snapshots' overlays beside them): a directory per guest.
  local disk_dir
  for disk_dir in "$disk_root"/*; do
    [[ -d $disk_dir ]] || continue
    uuid=${disk_dir##*/}
    [[ $uuid =~ ^[0-9a-f-]{36}$ ]] || continue  # only what `up` made
    [[ -n ${alive[$uuid]:-} ]] || rm -rf "$disk_dir"
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

# ---------------------------------------------------------------- disk-check

# Checks a guest's disk from outside: FILE is the top of its chain (the disk, or the newest
# snapshot's overlay), also while QEMU holds it. Prints "clean|dirty <TAB> LAST".
cmd_disk_check() {
  local file=${1:-}
  [[ -n $file ]] || die "usage: $0 disk-check FILE"
  [[ -f $file ]] || die "no such file: $file"
  local c
  for c in qemu-img e2fsck dumpe2fs debugfs; do
    command -v "$c" >/dev/null || die "$c is missing: run '$0 setup' (it installs e2fsprogs and qemu-utils)"
  done
  tmp=$(mktemp -d)
  # -U: QEMU may hold a write lock on it. The raw copy is the guest's view, chain and all.
  quietly qemu-img convert -U -O raw "$file" "$tmp/disk.raw" || die "cannot read $file"
  local state=clean fsck=0
  e2fsck -fn "$tmp/disk.raw" >"$tmp/fsck" 2>&1 || fsck=$?
  if ((fsck != 0)); then
    state=dirty
    say "e2fsck -fn exits $fsck on $file:"
    grep -v '^Pass \|^e2fsck ' "$tmp/fsck" | head -n 20 >&2 || true
  fi
  # A destroyed guest's filesystem may pass e2fsck -n ("clean") with its journal unreplayed.
  if dumpe2fs -h "$tmp/disk.raw" 2>/dev/null | grep -q '^Filesystem features:.*needs_recovery'; then
    state=dirty
    say "$file: the journal needs recovery (needs_recovery): the filesystem was not unmounted"
  fi
  # What the guest would find at its next boot: on a dirty copy (ours alone), replay the
  # journal and repair first. Without it, the records still in the journal are not seen.
  if [[ $state == dirty ]]; then
    # Exit 1: errors corrected, as expected after a hard stop.
    e2fsck -fy "$tmp/disk.raw" >/dev/null 2>&1 || fsck=$?
    ((fsck <= 1)) || say "$file: e2fsck -fy on the copy exits $fsck; reading the records anyway"
  fi
  # The records: one number a line, numbered on by one. A last line without its newline
  # (or bytes that are no record) is a write the stop cut off before it was synced: the
  # writer announces a record only once it is synced, so that is not a lost record, and
  # LAST does not count it.
  debugfs -R 'cat /records' "$tmp/disk.raw" >"$tmp/records" 2>/dev/null || true
  local last=0 line n=0 expect=''
  while IFS= read -r line; do
    n=$((n + 1))
    if [[ ! $line =~ ^[0-9]+$ ]]; then
      say "$file: line $n of /records is no record: '${line:0:40}'"
      [[ -z $line ]] || state=dirty
      continue
    fi
    if [[ -n $expect && $line != "$expect" ]]; then
      say "$file: record $line follows record $last (records lost or repeated)"
      state=dirty
    fi
    last=$line expect=$((line + 1))
  done <"$tmp/records"
  [[ -z $line ]] || say "$file: /records ends in an incomplete record '${line:0:40}' (cut off unsynced; not counted)"
  printf '%s\t%s\n' "$state" "$last"
}

# ---------------------------------------------------------------- main

case ${1:-} in
  setup) cmd_setup ;;
  up) cmd_up "${2:--}" ;;
  down) cmd_down ;;
  foreign) cmd_foreign ;;
  disk-check) cmd_disk_check "${2:-}" ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac
