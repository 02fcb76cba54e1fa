# The VMM's resident memory: its peak (VmHWM, reached once the guest has touched most of
# its memory) against what is left after the balloon inflated over that memory (VmRSS).
pid=$1 console=$2
i=0
while ! grep -q RSS-MARK-2 "$console" 2>/dev/null; do
	sleep 1; i=$((i + 1)); [ $i -gt 300 ] && { echo "no RSS-MARK-2"; exit 1; }
done
set -- $(awk '/^VmHWM:/ { h = $2 } /^VmRSS:/ { r = $2 } END { print h, r }' /proc/$pid/status)
echo "peak resident $1 kB, after the balloon inflated $2 kB"
[ -n "$2" ] && [ $(($1 - $2)) -ge 131072 ] && echo RSS-DROP-OK
