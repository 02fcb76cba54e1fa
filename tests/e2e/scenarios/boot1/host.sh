# host side: -S wires guest memory; without -C it stays out of core dumps
pid=$1 console=$2
i=0
while ! grep -q KHYVE-GUEST-INIT "$console" 2>/dev/null; do
	sleep 0.2; i=$((i + 1)); [ $i -gt 1500 ] && exit 1
done
lck=$(awk '/^VmLck:/ { print $2 }' /proc/$pid/status)
echo "VMLCK $lck kB"
[ "$lck" -ge 262144 ] && echo WIRED-OK
# the guest RAM mapping (256 MiB) carries the "dd" (do not dump) flag
awk '/^[0-9a-f]+-[0-9a-f]+ / { big = 0; split($1, a, "-") }
     /^Size:/ { big = ($2 >= 262144) }
     big && /^VmFlags:/ && / dd/ { print "NODUMP-OK"; exit }' /proc/$pid/smaps
