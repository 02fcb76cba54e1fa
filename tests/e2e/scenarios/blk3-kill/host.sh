# kill -9 during a write loop that flushes every record, 20 times, or as many times (6 at
# least) as start within 60% of the scenario's time (E2E_TIMEOUT: an emulated host can be
# slow to boot each VM): every record the guest saw acknowledged must be in the image.
# The VMs run here, on a disk of their own, with this scenario's command line; the
# scenario's own VM (disk IDLE) is killed at the end.
pid=$1 console=$2
img=/tmp/khyve-e2e-kill.img
eval "set -- $(sed 's|/tmp/khyve-e2e-idle.img|'$img'|' "$E2E_ARGS")"
ok=0
n=0
start=$(date +%s)
while [ $n -lt 20 ]; do
	[ $n -ge 6 ] && [ $(($(date +%s) - start)) -ge $((${E2E_TIMEOUT:-80} * 6 / 10)) ] && break
	dd if=/dev/zero of=$img bs=1M count=4 2>/dev/null
	con=/tmp/khyve-e2e-kill.con
	: > $con
	"$E2E_KHYVE" "$@" < /dev/null > $con 2> $con.err &
	k=$!
	want=$((3 + (n * 7) % 25))
	i=0
	acks() { c=$(grep -c '^ACK' $con 2>/dev/null); echo "${c:-0}"; }
	while [ "$(acks)" -lt $want ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	kill -KILL $k
	wait $k 2>/dev/null
	last=$(grep '^ACK' $con | tail -1 | cut -d' ' -f2)
	if [ -z "$last" ]; then
		echo "run $n: no record acknowledged after $i tenths of a second; console and stderr end:"
		tail -5 $con $con.err
		n=$((n + 1))
		continue
	fi
	last=$((last + 0))
	bad=0 r=0
	while [ $r -le $last ]; do
		got=$(dd if=$img bs=512 skip=$r count=1 2>/dev/null | head -c 12)
		[ "$got" = "$(printf 'rec %08d' $r)" ] || bad=$((bad + 1))
		r=$((r + 1))
	done
	echo "run $n: killed after $((last + 1)) acknowledged records, $bad missing"
	[ $bad -eq 0 ] && ok=$((ok + 1))
	n=$((n + 1))
done
echo "KILL-RUNS $ok of $n lost nothing"
[ $ok -eq $n ] && [ $n -ge 6 ] && echo "KILL-RUNS: no run lost an acknowledged record"
kill -KILL $pid
