sleep 2
echo "CPUS=$(nproc)"
echo "KERNEL=$(uname -r)"
grep -q " tsc_deadline_timer" /proc/cpuinfo && echo TSC-DEADLINE
echo "UUID=$(cat /sys/class/dmi/id/product_uuid)"
ls /sys/bus/pci/devices/ | sed 's/^/PCI /'
grep -q ' 5 ' /proc/interrupts 2>/dev/null; echo "SERIAL=$(cat /proc/tty/driver/serial 2>/dev/null | grep -c 'uart:16550A')"
poweroff -f
