#!/usr/bin/env bash
# Builds the Debian package artifacts/sundown_VERSION_amd64.deb with Debian's own tools
# (debhelper through dpkg-buildpackage), then checks it with lintian: errors and warnings fail
# the build (each one is fixed or overridden, with its reason, in debian/).
#
#   scripts/package.sh [--version V] [--no-publish]
#
# --version V    build that version (default: from git, see below); the whole-host upgrade
#                test builds an older one to upgrade from.
# --no-publish   package artifacts/bin/sundown as it is, instead of publishing it first.
#
# The version comes from `git describe --tags --match 'v[0-9]*'`: on the tag vX.Y.Z it is
# X.Y.Z; N commits after it, X.Y.Z+gitN.gHASH (which dpkg sorts after X.Y.Z and before the
# next release); with no tag, R~gitN.gHASH, R the release debian/changelog's top entry names
# (sorted before R). The build happens in artifacts/package/
# (ignored by git) on a copy of debian/, whose changelog gets this version: the repository is
# never left changed. Needs root for apt (the tools are installed when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

version=""
publish=true
while [ $# -gt 0 ]; do
  case $1 in
    --version) version=${2:?--version needs a value}; shift 2 ;;
    --no-publish) publish=false; shift ;;
    *) echo "usage: scripts/package.sh [--version V] [--no-publish]" >&2; exit 2 ;;
  esac
done

# shellcheck source=lib/quiet.sh
source scripts/lib/quiet.sh

# One line per step; a step's own output only when it fails (quietly, scripts/lib/quiet.sh).
step() {
  local what=$1
  shift
  printf '%s\n' "$what"
  quietly "$@" || { echo "package: failed: $what" >&2; exit 1; }
}

git_version() {
  local described count hash
  if described=$(git describe --tags --match 'v[0-9]*' --long 2>/dev/null); then
    # vX.Y.Z-N-gHASH
    hash=${described##*-g}
    described=${described%-g*}
    count=${described##*-}
    described=${described%-*}
    if [ "$count" = 0 ]; then
      echo "${described#v}"
    else
      echo "${described#v}+git$count.g$hash"
    fi
  else
    # No release tag here (a clone without tags): a build on the way to the release that
    # debian/changelog names, which dpkg sorts before it.
    local release
    release=$(sed -n '1s/^sundown (\([0-9.]*\)).*/\1/p' debian/changelog)
    echo "${release:-0.0.0}~git$(git rev-list --count HEAD).g$(git rev-parse --short HEAD)"
  fi
}

if [ -z "$version" ]; then
  version=$(git_version)
fi
if ! [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([+~][0-9A-Za-z.+~]+)?$ ]]; then
  echo "package: '$version' is not a version like 1.2.3 or 1.2.3+git4.gabc1234" >&2
  exit 2
fi
echo "sundown $version"

apt_install package debhelper dpkg-dev lintian pandoc

if $publish; then
  # The binary's --version is the package's (the assembly version takes only X.Y.Z).
  step "publishing the Native AOT binary" scripts/publish.sh -p:Version="${version%%[+~]*}" \
    -p:InformationalVersion="$version" -p:IncludeSourceRevisionInInformationalVersion=false
fi
[ -x artifacts/bin/sundown ] || { echo "package: no artifacts/bin/sundown (run without --no-publish)" >&2; exit 1; }

# The build tree: what debian/rules and debian/sundown.install read, and nothing else.
work=artifacts/package
tree=$work/sundown-$version
rm -rf "$work"
mkdir -p "$tree/prebuilt/units" "$tree/docs"
cp -r debian packaging "$tree/"
cp -r docs/man "$tree/docs/"
cp README.md "$tree/"
cp docs/systemd.md docs/faults.md docs/doctor.md "$tree/docs/"
install -m 755 artifacts/bin/sundown "$tree/prebuilt/sundown"
# The units exactly as `sundown install` would write them for /usr/bin/sundown and the default
# config and state directory: static, they read the budget from the config when they run.
step "writing the units" "$tree/prebuilt/sundown" install --package "$tree/prebuilt/units"
for unit in sundown.service sundown-watch.service; do
  [ -f "$tree/prebuilt/units/$unit" ] || { echo "package: sundown install --package wrote no $unit" >&2; exit 1; }
done
# This build's version into the copy's changelog (the top entry is the release it leads to).
sed -i "1s/^sundown ([^)]*)/sundown ($version)/" "$tree/debian/changelog"

step "building the package (dpkg-buildpackage)" \
  env -C "$tree" dpkg-buildpackage -b -uc -us
deb=artifacts/sundown_${version}_amd64.deb
mv "$work/sundown_${version}_amd64.deb" "$deb"
echo "built $deb ($(du -h "$deb" | cut -f1))"

# lintian: an error or a warning fails the build (each one is fixed, or overridden with its reason
# in debian/sundown.lintian-overrides); the informational tags are shown. As nobody when root
# (lintian says it should not run as root), on a copy nobody can read, from /: the checkout may
# sit in a directory only root may enter (mktemp -d makes them 0700).
lintian_as_nobody() {
  local copy code=0
  if [ "$(id -u)" != 0 ] || ! id nobody >/dev/null 2>&1; then
    lintian "$@" "$deb"
    return
  fi
  copy=$(mktemp -d /tmp/sundown-lintian.XXXXXX)
  chmod 755 "$copy"
  install -m 644 "$deb" "$copy/"
  env -C / runuser -u nobody -- lintian "$@" "$copy/${deb##*/}" || code=$?
  rm -rf "$copy"
  return "$code"
}
echo "lintian $deb"
lintian_as_nobody --fail-on error,warning --display-info
echo "lintian: no errors, no warnings"
