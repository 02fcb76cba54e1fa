echo "CPUS=$(nproc)"
grep -c ^processor /proc/cpuinfo | sed 's/^/PROCESSORS=/'
echo "SOCKETS=$(grep '^physical id' /proc/cpuinfo | sort -u | wc -l)"
echo "CORES_PER_SOCKET=$(grep -m1 '^cpu cores' /proc/cpuinfo | sed 's/.*: //')"
reboot -f
