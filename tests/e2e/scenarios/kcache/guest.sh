# Who unpacked the kernel: the bzImage's decompressor sets KASLR_FLAG (bit 1 of
# boot_params.hdr.loadflags, byte 0x211) before it places the kernel; a kernel entered
# unpacked (boot.kernel_cache) sees the flag clear. The command line has no nokaslr.
lf=$(od -An -tu1 -j 529 -N 1 /sys/kernel/boot_params/data | tr -d ' ')
if [ $((lf & 2)) -ne 0 ]; then echo KERNEL-UNPACKED-BY=guest; else echo KERNEL-UNPACKED-BY=host; fi
echo "KERNEL=$(uname -r)"
# The scenario's own VM waits for host.sh to end it; host.sh's VMs power off.
if grep -q khyve.idle /proc/cmdline; then
	echo IDLE-VM
	i=0
	while [ $i -lt 600 ]; do sleep 1; i=$((i + 1)); done
fi
