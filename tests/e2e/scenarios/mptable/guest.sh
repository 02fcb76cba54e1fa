# No ACPI: CPUs and interrupts come from the MP table.
echo "CPUS=$(nproc)"
echo "SOCKETS=$(grep "^physical id" /proc/cpuinfo | sort -u | wc -l)"
# 3 cores a socket: the second socket starts at APIC ID 4
echo "APICIDS=$(grep "^apicid" /proc/cpuinfo | sed "s/.*: //" | tr "\n" ,)"
echo "SERIAL=$(grep -c uart:16550A /proc/tty/driver/serial)"
# without ACPI there is no soft-off: the machine halts
poweroff -f
