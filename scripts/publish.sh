#!/usr/bin/env bash
# Publishes the Native AOT binary to artifacts/bin/sundown. It needs no .NET runtime on
# the host: copy artifacts/bin/ (the binary and any native library beside it) anywhere.
# Any trim or AOT warning fails the publish.
set -euo pipefail
cd "$(dirname "$0")/.."

out=artifacts/bin
rm -rf "$out"
dotnet publish src/Sundown.Cli/Sundown.Cli.csproj -c Release -r linux-x64 -o "$out" \
  -p:TreatWarningsAsErrors=true -warnaserror -nologo -clp:NoSummary "$@"
# The stripped symbols are of no use on a host; keep the folder to what ships.
rm -f "$out"/*.dbg "$out"/*.pdb
echo "published $out/sundown ($(du -h "$out/sundown" | cut -f1))"
