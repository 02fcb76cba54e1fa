echo "CPUS=$(nproc)"
grep -c ^processor /proc/cpuinfo | sed 's/^/PROCESSORS=/'
reboot -f
