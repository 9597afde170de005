#!/usr/bin/env bash
# nut.sh - a real Network UPS Tools server for Sundown's tests: Debian's upsd serving one
# UPS from the dummy-ups driver, which reads a .dev file that this script rewrites. No
# systemd, no /etc/nut: everything lives in a folder of the caller's (NUT_CONFPATH,
# NUT_STATEPATH), upsd listens on 127.0.0.1 at the caller's port. Never starts upsmon
# (on a real machine it could power the machine off: ../../../shared facts §8).
#
#   nut.sh setup                    install nut-server and nut-client (quietly)
#   nut.sh up DIR PORT [VAR=VALUE]… write the config and the .dev file, start the driver
#                                   and upsd; prints the UPS's name: sundown@127.0.0.1:PORT
#   nut.sh set DIR VAR=VALUE…       change variables (the others keep their values) and wait
#                                   until upsd serves them
#   nut.sh driver-stop DIR          stop the driver only (upsd answers DRIVER-NOT-CONNECTED)
#   nut.sh driver-start DIR         start it again
#   nut.sh down DIR                 stop upsd and the driver; DIR is left for the caller
#   nut.sh again DIR                after down: start the driver and upsd again
#
# The UPS starts on line: ups.status OL, battery.runtime 600, battery.charge 100,
# battery.runtime.low 120; VAR=VALUE arguments to `up` replace those or add others.
# upsd.users: sundown (upsmon secondary, password: two "words"), rackprimary (upsmon
# primary, password primary), reader (no rights, password reader).
# Needs root (the daemons drop to the user nut). stdout carries results only.
set -euo pipefail

# shellcheck source=../../scripts/lib/quiet.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/quiet.sh"

ups=sundown
packages=(nut-server nut-client)

say() { printf 'nut: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# Debian's packages start nothing here (no systemd as PID 1, MODE=none): only their files are used.
setup() {
  apt_install nut "${packages[@]}"
}

# The environment every NUT program of DIR runs in.
nut_env() {
  local dir=$1
  shift
  env NUT_CONFPATH="$dir/etc" NUT_STATEPATH="$dir/state" NUT_ALTPIDPATH="$dir/state" "$@"
}

# Rewrites DIR/etc/dummy.dev from DIR/vars (one "VAR: VALUE" a line, every variable: a dropped
# one would keep its old value in the driver), atomically, with an mtime later than the last
# one: dummy-ups compares mtimes in whole seconds, so two writes in one second would be one.
write_dev() {
  local dir=$1 last now next
  last=$(cat "$dir/mtime" 2>/dev/null || echo 0)
  now=$(date +%s)
  next=$((now > last ? now : last + 1))
  cp "$dir/vars" "$dir/etc/dummy.dev.new"
  chgrp nut "$dir/etc/dummy.dev.new"
  chmod 0640 "$dir/etc/dummy.dev.new"
  touch -d "@$next" "$dir/etc/dummy.dev.new"
  mv -f "$dir/etc/dummy.dev.new" "$dir/etc/dummy.dev"
  echo "$next" >"$dir/mtime"
}

# Sets VAR=VALUE pairs in DIR/vars.
merge_vars() {
  local dir=$1 pair var value
  shift
  for pair in "$@"; do
    [[ $pair == *=* ]] || die "'$pair' is not VAR=VALUE"
    var=${pair%%=*} value=${pair#*=}
    awk -v var="$var" -F': ' '$1 != var' "$dir/vars" >"$dir/vars.new"
    echo "$var: $value" >>"$dir/vars.new"
    mv -f "$dir/vars.new" "$dir/vars"
  done
}

port_of() { cat "$1/port"; }

# Waits until upsd serves every VAR=VALUE (up to 15 s: the driver polls every 2 s, upsd
# serves a change 0.6-1.9 s later).
wait_served() {
  local dir=$1 pair var value got deadline=$((SECONDS + 15))
  shift
  for pair in "$@"; do
    var=${pair%%=*} value=${pair#*=}
    until got=$(upsc "$ups@127.0.0.1:$(port_of "$dir")" "$var" 2>/dev/null) && [[ $got == "$value" ]]; do
      ((SECONDS < deadline)) || die "upsd still serves $var='${got:-}' 15 s after it was set to '$value'"
      sleep 0.2
    done
  done
}

up() {
  local dir=$1 port=$2
  shift 2
  [[ $port =~ ^[0-9]+$ ]] || die "port '$port' is not a number"
  mkdir -p "$dir/etc" "$dir/state"
  # The daemons drop to nut: they must reach the folder (0755) and own their state (root:nut 0770).
  chmod 0755 "$dir"
  chown root:nut "$dir/state"
  chmod 0770 "$dir/state"
  echo "$port" >"$dir/port"
  cat >"$dir/etc/ups.conf" <<EOF
[$ups]
  driver = dummy-ups
  port = dummy.dev
  desc = "Sundown's test UPS"
EOF
  # MAXAGE 5: a frozen driver's data is stale 5 s later (the default is 15).
  printf 'LISTEN 127.0.0.1 %s\nMAXAGE 5\n' "$port" >"$dir/etc/upsd.conf"
  # Three users for the login and FSD tests: a secondary's (LOGIN; a password with a space and
  # quotes), a primary's (FSD too), and one with no rights at all.
  cat >"$dir/etc/upsd.users" <<'EOF'
[sundown]
  password = "two \"words\""
  upsmon secondary
[rackprimary]
  password = primary
  upsmon primary
[reader]
  password = reader
EOF
  printf 'MODE=standalone\n' >"$dir/etc/nut.conf"
  printf '%s\n' "ups.status: OL" "battery.runtime: 600" "battery.charge: 100" "battery.runtime.low: 120" >"$dir/vars"
  merge_vars "$dir" "$@"
  write_dev "$dir"
  chgrp nut "$dir"/etc/*
  chmod 0640 "$dir"/etc/*
  nut_env "$dir" upsdrvctl start "$ups" >/dev/null 2>&1 || die "the dummy-ups driver did not start"
  nut_env "$dir" /lib/nut/upsd >/dev/null 2>&1 || die "upsd did not start"
  wait_served "$dir" "ups.status=$(sed -n 's/^ups.status: //p' "$dir/vars")"
  echo "$ups@127.0.0.1:$port"
}

set_vars() {
  local dir=$1
  shift
  merge_vars "$dir" "$@"
  write_dev "$dir"
  wait_served "$dir" "$@"
}

down() {
  local dir=$1
  nut_env "$dir" /lib/nut/upsd -c stop >/dev/null 2>&1 || true
  nut_env "$dir" upsdrvctl stop "$ups" >/dev/null 2>&1 || true
  # The pid files go with them; what is still listening on the port is not ours to kill.
}

# After down: the same driver and upsd again, as a restart of NUT's units would bring them.
again() {
  local dir=$1
  nut_env "$dir" upsdrvctl start "$ups" >/dev/null 2>&1 || die "the dummy-ups driver did not start"
  nut_env "$dir" /lib/nut/upsd >/dev/null 2>&1 || die "upsd did not start"
  wait_served "$dir" "ups.status=$(sed -n 's/^ups.status: //p' "$dir/vars")"
}

case ${1:-} in
  setup) setup ;;
  up) (($# >= 3)) || die "usage: nut.sh up DIR PORT [VAR=VALUE]..."; up "${@:2}" ;;
  set) (($# >= 3)) || die "usage: nut.sh set DIR VAR=VALUE..."; set_vars "${@:2}" ;;
  driver-stop) nut_env "$2" upsdrvctl stop "$ups" >/dev/null 2>&1 ;;
  driver-start) nut_env "$2" upsdrvctl start "$ups" >/dev/null 2>&1 ;;
  down) down "$2" ;;
  again) again "$2" ;;
  *) die "usage: nut.sh setup | up DIR PORT [VAR=VALUE]... | set DIR VAR=VALUE... | driver-stop DIR | driver-start DIR | down DIR" ;;
esac
