# quiet.sh - sourced by the scripts that install packages or run other noisy tools: one line
# per step on stderr, the tool's own output only when it fails (then all of it, and its exit
# code). tests/fleet/fleet.sh keeps a copy of `quietly`: it is also copied alone into the
# whole hosts, where this file is not beside it; keep the two alike.
#
#   quietly CMD [ARG...]        runs CMD with stdout and stderr in a log; on failure prints
#                               the log and the exit code on stderr and returns that code
#   apt_install WHO PKG...      installs the PKGs that are not installed yet, with one line
#                               "WHO: installing PKG..." (nothing when all are there)

# stdin is /dev/null: nothing may stop to ask. The log is a file, never a pipe: a daemon a
# package's postinst starts (libvirtd without systemd, through invoke-rc.d) inherits it and
# may hold it for as long as it runs, which a pipe's reader would wait for.
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

# Two of our scripts may install at once (scripts/test.sh builds the two host images side by
# side): our own lock takes them in turn, where apt would fail the second at once. `flock -o`:
# a daemon a postinst starts must not inherit the lock and hold it for as long as it runs.
# DPkg::Lock::Timeout: an apt of somebody else's (unattended-upgrades) is waited for too.
apt_lock=/run/sundown-apt.lock
apt_install() {
  local who=$1 p missing=()
  shift
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q ' installed$' || missing+=("$p")
  done
  ((${#missing[@]} > 0)) || return 0
  printf '%s: installing %s\n' "$who" "${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  local install=(flock -o "$apt_lock" apt-get install -y -q -o DPkg::Lock::Timeout=300 "${missing[@]}")
  local update=(flock -o "$apt_lock" apt-get update -q)
  # Container images often ship without package lists: refresh them first. Lists also get
  # stale (a 404 for a version the mirror has dropped): then the first try fails, and its
  # output means nothing; refresh them and try once more, which shows its output if it fails.
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    quietly "${update[@]}" || return
  elif "${install[@]}" </dev/null >/dev/null 2>&1; then
    return 0
  else
    printf '%s: refreshing the package lists and trying again\n' "$who" >&2
    quietly "${update[@]}" || return
  fi
  quietly "${install[@]}"
}
