# The VMM's resident memory before and after the balloon inflates over touched memory.
pid=$1 console=$2
echo "watching khyve $pid"
waitfor() {
	i=0
	while ! grep -q "$1" "$console" 2>/dev/null; do
		sleep 0.2; i=$((i + 1)); [ $i -gt 1500 ] && { echo "no $1"; return 1; }
	done
}
rss() { awk '/^VmRSS:/ { print $2 }' /proc/$pid/status; }
waitfor RSS-MARK-1 || exit 1
sleep 2
a=$(rss)
echo "RSS with the guest's memory touched: $a kB"
waitfor RSS-MARK-2 || exit 1
sleep 2
b=$(rss)
echo "RSS after the balloon inflated again: $b kB"
[ -n "$a" ] && [ -n "$b" ] && [ $((a - b)) -ge 131072 ] && echo RSS-DROP-OK
