#!/bin/sh
# THE PEER, NOT OUR CODE: the serial shutdown loop that circulating guides and forum
# answers recommend for stopping libvirt guests before a host shutdown, written as they
# give it (a `while read` over `virsh list --name`, `virsh shutdown`, poll `virsh list |
# grep` once a second up to a timeout, then `virsh destroy`). bench/drain.sh times it
# beside Sundown. The only liberties: the URI and timeout come from the environment, and
# `while read` rather than `for vm in $(virsh list --name)`, whose word splitting would
# break on the fleet's names with spaces (the guides' `for` form fails there outright).
#
#   VIRSH_URI=qemu:///system TIMEOUT=15 bench/peers/virsh-loop.sh
URI=${VIRSH_URI:-qemu:///system}
TIMEOUT=${TIMEOUT:-300}

virsh -c "$URI" list --name | while read -r vm; do
  [ -z "$vm" ] && continue
  echo "Shutting down $vm"
  virsh -c "$URI" shutdown "$vm"
  count=0
  while virsh -c "$URI" list | grep -q " $vm "; do
    if [ "$count" -ge "$TIMEOUT" ]; then
      echo "$vm did not shut down in $TIMEOUT s, destroying it"
      virsh -c "$URI" destroy "$vm"
      break
    fi
    sleep 1
    count=$((count + 1))
  done
done
