#!/usr/bin/env bash
# Builds the Debian package (scripts/package.sh, with this script's arguments) and checks it:
# what it holds (dpkg-deb -c), its fields (dpkg-deb -I), its maintainer scripts, lintian with no
# error and no warning, and an install, remove and purge with the real dpkg into a scratch root
# (dpkg --root with --force-script-chrootless: the maintainer scripts run on the host's
# deb-systemd-helper with DPKG_ROOT set, and nothing of this machine's /usr or /etc is touched).
# The whole-host tests install it with apt on real Debian 12 and 13 hosts; this is the quick
# check beside them. Exits non-zero at the first failure, saying what failed.
#
#   tests/package/check.sh [--no-publish] [--version V]
set -euo pipefail
cd "$(dirname "$0")/../.."

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
pass() { echo "ok: $*"; }

rm -f artifacts/sundown_*_amd64.deb
scripts/package.sh "$@"
debs=(artifacts/sundown_*_amd64.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || { echo "FAIL: expected one artifacts/sundown_*_amd64.deb, found: ${debs[*]}" >&2; exit 1; }
deb=${debs[0]}
version=$(dpkg-deb -f "$deb" Version)
echo "checking $deb"

# --- What it holds.
contents=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|')
for path in \
  /usr/bin/sundown \
  /usr/lib/systemd/system/sundown.service \
  /usr/lib/systemd/system/sundown-watch.service \
  /etc/sundown/sundown.toml \
  /usr/share/man/man8/sundown.8.gz \
  /usr/share/man/man5/sundown.toml.5.gz \
  /usr/share/bash-completion/completions/sundown \
  /usr/share/zsh/vendor-completions/_sundown \
  /usr/share/fish/vendor_completions.d/sundown.fish \
  /usr/share/doc/sundown/copyright \
  /usr/share/doc/sundown/changelog.gz \
  /usr/share/doc/sundown/README.md.gz; do
  grep -qxF "$path" <<<"$contents" && pass "holds $path" || fail "$deb does not hold $path"
done
if grep -E 'e_sqlite3|\.so(\.|$)' <<<"$contents"; then
  fail "$deb ships a shared library (the journal uses the system's libsqlite3)"
else
  pass "no shared library of its own"
fi
if grep -E '^/lib/' <<<"$contents"; then fail "files under /lib (they belong under /usr/lib)"; else pass "nothing under /lib"; fi

# --- Its fields.
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = sundown ] && pass "Package: sundown" || fail "Package: $(field Package)"
[ "$(field Architecture)" = amd64 ] && pass "Architecture: amd64" || fail "Architecture: $(field Architecture)"
depends=$(field Depends)
for dependency in 'libc6 (>= ' 'libvirt0 (>= 9.0.0)' 'libsqlite3-0 (>= '; do
  grep -qF "$dependency" <<<"$depends" && pass "Depends has $dependency" || fail "Depends lacks '$dependency': $depends"
done
[[ $(field Recommends) == *libvirt-daemon-system* ]] && pass "Recommends libvirt-daemon-system" || fail "Recommends: $(field Recommends)"
control=$(mktemp -d)
trap 'rm -rf "$control"' EXIT
dpkg-deb -e "$deb" "$control"
grep -qxF /etc/sundown/sundown.toml "$control/conffiles" && pass "conffile /etc/sundown/sundown.toml" || fail "conffiles: $(cat "$control/conffiles")"

# --- The maintainer scripts never stop, restart or reload the service (a stop of sundown.service
# stops every guest), and start it only on a fresh install; sundown-watch.service (which starts
# no guest) on the same terms.
scripts=$(cat "$control"/{preinst,postinst,prerm,postrm} 2>/dev/null || true)
if grep -nE 'deb-systemd-invoke (stop|restart|try-restart|reload)|systemctl [^|]*(stop|restart)' <<<"$scripts"; then
  fail "a maintainer script stops or restarts a unit"
else
  pass "no maintainer script stops or restarts a unit"
fi
[ ! -e "$control/prerm" ] && [ ! -e "$control/preinst" ] && pass "no preinst, no prerm" || fail "a preinst or prerm exists"
starts=$(grep -c 'deb-systemd-invoke start' "$control/postinst" || true)
[ "$starts" = 2 ] && pass "postinst starts sundown.service and sundown-watch.service, once each" || fail "postinst has $starts starts"
grep -q 'boot-restore-done' "$control/postinst" && pass "postinst writes the boot-restore marker" || fail "postinst writes no /run/sundown/boot-restore-done"
# Started by the postinst: a Conflicts= with libvirt-guests would stop it, and with it every guest.
units=$(mktemp -d)
dpkg-deb -x "$deb" "$units"
if grep -n '^Conflicts=.*libvirt-guests' "$units/usr/lib/systemd/system/sundown.service"; then
  fail "sundown.service conflicts with libvirt-guests: starting it at install would stop every guest"
else
  pass "sundown.service has no Conflicts= with libvirt-guests"
fi
if grep -n -- '--budget' "$units"/usr/lib/systemd/system/*.service; then fail "a unit carries a budget (they are static)"; else pass "the units are static (no --budget)"; fi
# The binary is the published one, at this version, and does not bring its own SQLite.
if "$units/usr/bin/sundown" --version | grep -qxF "$version"; then
  pass "sundown --version is $version"
else
  fail "sundown --version printed '$("$units/usr/bin/sundown" --version)', not $version"
fi
if ldd "$units/usr/bin/sundown" | grep -i sqlite; then fail "the binary links an SQLite"; else pass "the binary links no SQLite (it loads libsqlite3.so.0 by name)"; fi
rm -rf "$units"

# --- The completions as installed load in their shells (CompletionTests checks their lists).
for shell in zsh fish; do
  if ! command -v "$shell" >/dev/null; then
    echo "installing $shell"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$shell" >"$control/apt.log" 2>&1 || { cat "$control/apt.log" >&2; exit 1; }
  fi
done
files=$(mktemp -d)
dpkg-deb -x "$deb" "$files"
bash -n "$files/usr/share/bash-completion/completions/sundown" && pass "bash completion parses" || fail "bash completion does not parse"
zsh -n "$files/usr/share/zsh/vendor-completions/_sundown" && pass "zsh completion parses" || fail "zsh completion does not parse"
completed=$(fish -c "source $files/usr/share/fish/vendor_completions.d/sundown.fish; complete -C 'sundown stop --at'" | cut -f1)
[ "$completed" = --at-shutdown ] && pass "fish completes 'sundown stop --at'" || fail "fish completed 'sundown stop --at' as '$completed'"
rm -rf "$files"

# --- lintian ran in scripts/package.sh, which fails on an error or a warning (overrides carry
# their reasons in debian/): the package exists, so it passed.
pass "lintian: no error, no warning (scripts/package.sh)"

# --- Install, remove, purge with dpkg into a scratch root.
root=$(mktemp -d /tmp/sundown-package-root-XXXXXX)
trap 'rm -rf "$control" "$root"' EXIT
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
: >"$root/var/lib/dpkg/status"
in_root() {
  # The libraries it depends on are this machine's, not the scratch root's.
  dpkg --root="$root" --force-script-chrootless --force-depends --log=/dev/null "$@" >"$root.log" 2>&1 \
    || { cat "$root.log" >&2; fail "dpkg $*"; }
  rm -f "$root.log"
}
# An upgrade from 0.14, which shipped sundown-watch.service disabled: this package repacked as
# 0.14.9, the watch unit disabled as 0.14 left it, then the upgrade enables it once.
old=$(mktemp -d)
dpkg-deb -R "$deb" "$old/tree"
sed -i 's/^Version: .*/Version: 0.14.9/' "$old/tree/DEBIAN/control"
dpkg-deb -b "$old/tree" "$old/sundown_0.14.9_amd64.deb" >/dev/null
in_root -i "$old/sundown_0.14.9_amd64.deb"
DPKG_MAINTSCRIPT_PACKAGE=sundown DPKG_ROOT=$root deb-systemd-helper disable sundown-watch.service >/dev/null
[ ! -e "$root/etc/systemd/system/multi-user.target.wants/sundown-watch.service" ] || fail "could not disable sundown-watch.service as 0.14 left it"
in_root -i "$deb"
[ -L "$root/etc/systemd/system/multi-user.target.wants/sundown-watch.service" ] \
  && pass "upgraded from 0.14: sundown-watch.service enabled" || fail "the upgrade from 0.14 did not enable sundown-watch.service"
in_root --purge sundown
rm -rf "$old"

in_root -i "$deb"
[ -x "$root/usr/bin/sundown" ] && pass "installed: /usr/bin/sundown" || fail "install: no /usr/bin/sundown"
[ -L "$root/etc/systemd/system/multi-user.target.wants/sundown.service" ] \
  && pass "installed: sundown.service enabled" || fail "install: sundown.service is not enabled"
[ -L "$root/etc/systemd/system/multi-user.target.wants/sundown-watch.service" ] \
  && pass "installed: sundown-watch.service enabled (it follows logind)" || fail "install: sundown-watch.service is not enabled"
# The operator's changes and the journal, as on a host in use.
echo 'budget = "4m"' >>"$root/etc/sundown/sundown.toml"
mkdir -p "$root/var/lib/sundown" && : >"$root/var/lib/sundown/sundown.db"
in_root -i "$deb"
grep -qxF 'budget = "4m"' "$root/etc/sundown/sundown.toml" && pass "reinstalled: the changed conffile kept" || fail "reinstall replaced the changed conffile"
in_root --remove sundown
[ ! -e "$root/usr/bin/sundown" ] && pass "removed: the binary is gone" || fail "remove left /usr/bin/sundown"
[ -f "$root/etc/sundown/sundown.toml" ] && pass "removed: the conffile is kept" || fail "remove deleted the conffile"
[ -f "$root/var/lib/sundown/sundown.db" ] && pass "removed: the journal is kept" || fail "remove deleted /var/lib/sundown"
in_root --purge sundown
left=$(find "$root" -path "$root/var/lib/dpkg" -prune -o -print | sed "s|^$root||" | grep -i sundown || true)
[ -z "$left" ] && pass "purged: nothing of sundown is left" || fail "purge left: $left"

if [ "$failures" -gt 0 ]; then
  echo "tests/package/check.sh: $failures check(s) failed" >&2
  exit 1
fi
echo "tests/package/check.sh: every check passed ($deb)"
