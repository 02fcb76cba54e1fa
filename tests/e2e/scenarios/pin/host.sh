# host side: the vCPU threads run only on the host CPUs -p gave them
pid=$1 console=$2
i=0
while ! grep -q PIN-READY "$console" 2>/dev/null; do
	sleep 0.2; i=$((i + 1)); [ $i -gt 1500 ] && exit 1
done
for t in /proc/$pid/task/*; do
	name=$(cat "$t/comm")
	case "$name" in "vcpu "*)
		echo "THREAD $name: $(grep Cpus_allowed_list "$t/status" | tr -d '\t ')";;
	esac
done
# VM managers find guests by process title
# (what pgrep -f "bhyve: pin" matches: the process's command line)
for c in /proc/[0-9]*/cmdline; do
	if tr '\0' ' ' < "$c" 2>/dev/null | grep -q '^bhyve: pin'; then echo "PROCTITLE bhyve: pin"; break; fi
done
