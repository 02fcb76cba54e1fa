# host side: connect to COM2 once the guest listens, send a line, print the answer
pid=$1 console=$2
i=0
while ! grep -q TCP-READY "$console" 2>/dev/null; do
	sleep 0.2; i=$((i + 1)); [ $i -gt 1500 ] && exit 1
done
(echo PING-FROM-HOST; sleep 5) | busybox nc 127.0.0.1 45123
