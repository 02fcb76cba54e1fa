# The host side of a virtio-net scenario, sourced by its host.sh with pid, console, TAP,
# HOST, GUEST, SIZE and MTU set (run from the scenario's folder: ../../net-host.sh).
# net_host_up: the tap up at MTU with HOST/24, a web server with SIZE bytes for the guest
# to download, then the guest's own file fetched back and its MD5 printed.
# net_host_end: once khyve is gone, the server stopped and whether the tap went with it.
net_host_up() {
	i=0
	while [ ! -e /sys/class/net/$TAP ]; do
		sleep 0.1; i=$((i + 1)); [ $i -gt 600 ] && { echo "no $TAP"; return 1; }
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
		sleep 0.2; i=$((i + 1)); [ $i -gt 1500 ] && { echo "no UP-READY"; kill $httpd; return 1; }
	done
	t0=$(date +%s)
	echo "UP $(busybox wget -q -O - http://$GUEST:8080/up | md5sum | cut -d' ' -f1)"
	echo "UP-SECONDS $(($(date +%s) - t0)) for $SIZE bytes"
	touch $www/fetched
}

net_host_end() {
	while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
	kill $httpd
	echo "after: $TAP $([ -e /sys/class/net/$TAP ] && echo present || echo gone)"
}
