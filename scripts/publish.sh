#!/usr/bin/env bash
# Publishes the Native AOT binary to artifacts/bin/sundown. It needs no .NET runtime on the
# host, only the libraries it loads by name: libvirt.so.0 (libvirt0) and libsqlite3.so.0
# (libsqlite3-0), as the package's Depends says. Any trim or AOT warning fails the publish.
# Extra arguments go to dotnet publish (scripts/package.sh passes the version).
set -euo pipefail
cd "$(dirname "$0")/.."

out=artifacts/bin
rm -rf "$out"
dotnet publish src/Sundown.Cli/Sundown.Cli.csproj -c Release -r linux-x64 -o "$out" \
  -p:TreatWarningsAsErrors=true -warnaserror -nologo -clp:NoSummary "$@"
# The stripped symbols are of no use on a host; keep the folder to what ships.
rm -f "$out"/*.dbg "$out"/*.pdb
# The binary alone: SQLite is the host's (no libe_sqlite3.so beside it, Debian policy 4.13).
extra=$(find "$out" -mindepth 1 ! -name sundown)
if [ -n "$extra" ]; then
  echo "publish: artifacts/bin/ should hold only sundown, but also has:" "$extra" >&2
  exit 1
fi
echo "published $out/sundown ($(du -h "$out/sundown" | cut -f1))"
