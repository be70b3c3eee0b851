#!/bin/sh
# PID 1 of the qemu test guest (busybox sh). Mounts the pseudo file systems,
# loads the modules listed by run_guest.sh, runs every case from
# /etc/ipqemu/cases.sh and prints one IPQEMU-RESULT line for the host to
# parse, then powers off. It never exits: PID 1 exiting panics the kernel.
export PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# busybox ash runs its own applets before searching PATH, so the applet links
# are only for programs that exec by name (ip netns exec, the kernel's
# modprobe calls). Scripts call iproute2 as /usr/sbin/ip.
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s /bin
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p /run/netns

echo "IPQEMU-BOOTED after $(cut -d' ' -f1 /proc/uptime) s of guest uptime"

module_failures=0
while read -r module; do
  if ! insmod "$module"; then
    echo "IPQEMU: insmod $module failed"
    module_failures=$((module_failures + 1))
  fi
done </etc/ipqemu/modules

. /etc/ipqemu/cases.sh

if [ "$module_failures" -ne 0 ]; then
  echo "IPQEMU-RESULT: FAIL ($module_failures modules did not load)"
else
  run_all_cases
fi
echo "IPQEMU: finished after $(cut -d' ' -f1 /proc/uptime) s of guest uptime"
sync
poweroff -f
sleep 60
