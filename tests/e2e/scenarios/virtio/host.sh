# The VMM's resident memory before and after the balloon inflates over touched memory.
pid=$1 console=$2
waitfor() {
	i=0
	while ! grep -q "$1" "$console" 2>/dev/null; do
		sleep 0.2; i=$((i + 1)); [ $i -gt 1500 ] && return 1
	done
}
rss() { awk '/^VmRSS:/ { print $2 }' /proc/$pid/status; }
waitfor RSS-MARK-1 || exit 1
sleep 1
a=$(rss)
waitfor RSS-MARK-2 || exit 1
sleep 1
b=$(rss)
echo "RSS before $a kB, after inflating $b kB"
[ $((a - b)) -ge 131072 ] && echo RSS-DROP-OK
