# host side: press the power button (SIGTERM) once the guest is listening
pid=$1 console=$2
i=0
while ! grep -q READY "$console" 2>/dev/null; do
	sleep 0.2; i=$((i + 1)); [ $i -gt 1500 ] && exit 1
done
sleep 0.5
kill -TERM "$pid" && echo "sent SIGTERM to $pid"
