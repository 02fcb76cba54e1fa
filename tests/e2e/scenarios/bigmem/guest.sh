echo "CPUS=$(nproc)"
kb=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)
echo "MEMTOTAL_KB=$kb"
# 24 GiB less what the kernel keeps for itself: more than 23 GiB must be usable.
[ "$kb" -gt 24117248 ] && echo BIGMEM-OK
poweroff -f
