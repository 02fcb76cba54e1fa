# The host side: tap0-tap2 (made by khyve) up on 10.0.10-12.1/24; once the guest has
# pinged each, the MACs the host learned, then a web server that tells the guest it is
# done.
pid=$1 console=$2
for n in 0 1 2; do
	i=0
	while [ ! -e /sys/class/net/tap$n ]; do
		sleep 0.1; i=$((i + 1)); [ $i -gt 600 ] && { echo "no tap$n"; exit 1; }
	done
	busybox ip link set tap$n up
	busybox ip addr add 10.0.1$n.1/24 dev tap$n
done
echo TAPS-UP
i=0
while ! grep -q 'PING eth2' "$console" 2>/dev/null; do
	sleep 0.2; i=$((i + 1)); [ $i -gt 1500 ] && break
done
for n in 0 1 2; do
	echo "NEIGH tap$n $(busybox ip neigh show dev tap$n | grep -o '..:..:..:..:..:..' | head -1)"
done
www=/tmp/khyve-e2e-www-net3
rm -rf $www && mkdir -p $www && touch $www/done
busybox httpd -f -p 10.0.10.1:8080 -h $www &
httpd=$!
while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
kill $httpd
