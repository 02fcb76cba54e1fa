# The host side of tap0: address, MTU, a web server with the guest's download, then the
# guest's file fetched back and its MD5 printed; frames to another address for the filter.
pid=$1 console=$2 TAP=tap0 HOST=10.0.2.1 GUEST=10.0.2.15 SIZE=104857600 MTU=9000
i=0
while [ ! -e /sys/class/net/$TAP ]; do
	sleep 0.1; i=$((i + 1)); [ $i -gt 600 ] && { echo "no $TAP"; exit 1; }
done
busybox ip link set $TAP mtu $MTU
busybox ip link set $TAP up
busybox ip addr add $HOST/24 dev $TAP
echo "TAP-UP $TAP $(cat /sys/class/net/$TAP/mtu)"
www=/tmp/khyve-e2e-www-$TAP
rm -rf $www
mkdir -p $www
yes khyve-host-to-guest | head -c $SIZE > $www/blob
busybox httpd -f -p $HOST:8080 -h $www &
httpd=$!
i=0
while ! grep -q UP-READY "$console" 2>/dev/null; do
	sleep 0.2; i=$((i + 1)); [ $i -gt 1500 ] && { echo "no UP-READY"; kill $httpd; exit 1; }
done
t0=$(date +%s)
echo "UP $(busybox wget -q -O - http://$GUEST:8080/up | md5sum | cut -d' ' -f1)"
echo "UP-SECONDS $(($(date +%s) - t0)) for $SIZE bytes"
touch $www/fetched
# The receive filter: on the guest's word, 200 frames to an address that is not the guest's.
busybox arp -i $TAP -s 10.0.2.99 02:00:00:00:00:99
for r in 1 2; do
	i=0
	while ! grep -q "FILTER-SEND $r" "$console" 2>/dev/null; do
		sleep 0.2; i=$((i + 1)); [ $i -gt 1500 ] && break
	done
	busybox ping -c 200 -i 0.01 -W 1 10.0.2.99 > /dev/null 2>&1
	echo "SENT $r"
	touch $www/sent-$r
done
while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
kill $httpd
echo "after: $TAP $([ -e /sys/class/net/$TAP ] && echo present || echo gone)"
