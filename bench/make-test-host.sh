#!/usr/bin/env bash
# Writes a host for libvirt's test driver with N guests to FILE; open it as
# test:///ABSOLUTE/PATH/TO/FILE. The guests cycle through running, paused, shut off,
# transient and shut off with a managed-save image, with mixed memory, vCPUs and OS
# metadata, as the binding tests' generator does.
set -euo pipefail
count=${1:?usage: make-test-host.sh N FILE}
file=${2:?usage: make-test-host.sh N FILE}

{
  echo '<node>'
  for ((i = 0; i < count; i++)); do
    case $((i % 5)) in
      0) extra='' ;;
      1) extra='<test:runstate>3</test:runstate>' ;;
      2) extra='<test:runstate>5</test:runstate>' ;;
      3) extra='<test:transient/>' ;;
      4) extra='<test:runstate>5</test:runstate><test:hasmanagedsave/>' ;;
    esac
    os=''
    ((i % 3 == 1)) && os='<metadata><libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0"><libosinfo:os id="http://microsoft.com/win/11"/></libosinfo:libosinfo></metadata>'
    printf '<domain type="test" xmlns:test="http://libvirt.org/schemas/domain/test/1.0"><name>guest %05d ü</name><memory unit="MiB">%d</memory><vcpu>%d</vcpu><os><type>hvm</type></os>%s%s</domain>\n' \
      "$i" $(((i % 7 + 1) * 128)) $((i % 4 + 1)) "$os" "$extra"
  done
  echo '</node>'
} >"$file"
