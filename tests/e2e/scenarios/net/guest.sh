# virtio-net on tap0 (created by khyve, configured by host.sh), bound by the modern
# interface: the MAC and MTU of the command line, two queue pairs (one per vCPU), ping at
# 1500 and 9000 bytes, then a file each way over TCP, checked by MD5 (down: wget from
# the host; up: the host fetches ours), and the receive filter the driver sets.
HOST=10.0.2.1 SIZE=104857600
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
echo "MAC $(cat /sys/class/net/eth0/address)"
echo "MTU $(cat /sys/class/net/eth0/mtu)"
echo "VIRTIO-V1 $(cut -c33 /sys/bus/virtio/devices/virtio0/features)"
echo "CHANNELS $(ethtool -l eth0 | awk '/^Combined/ { printf "%s ", $2 }')"
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
i=0
until ping -c 1 -W 1 $HOST >/dev/null 2>&1; do i=$((i + 1)); [ $i -ge 60 ] && break; done
echo "CARRIER $(cat /sys/class/net/eth0/carrier)"
ping -c 3 -s 1472 $HOST | grep -q ' 0% packet loss' && echo PING-1472-OK
ping -c 3 -s 8972 $HOST | grep -q ' 0% packet loss' && echo PING-8972-OK
t0=$(date +%s)
echo "DOWN $(wget -q -O - http://$HOST:8080/blob | md5sum | cut -d' ' -f1)"
echo "DOWN-SECONDS $(($(date +%s) - t0)) for $SIZE bytes"
mkdir -p /www
yes khyve-guest-to-host | head -c $SIZE > /www/up
httpd -p 8080 -h /www
echo UP-READY
i=0
until wget -q -O /dev/null http://$HOST:8080/fetched 2>/dev/null; do
	sleep 0.5; i=$((i + 1)); [ $i -ge 240 ] && break
done
# Both queue pairs carried traffic: interrupts on each receive and transmit queue.
awk '/virtio0-(input|output)/ { n = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i
	print "IRQS " $NF " " (n > 0 ? "used" : "unused") }' /proc/interrupts
# The receive filter. The host sends 200 frames to an address that is not ours when
# asked (FILTER-SEND n), then serves sent-n; the device keeps them from the guest unless
# it is promiscuous. Then a new address set in the guest (the control queue's ADDR_SET)
# must be the one the device lets through.
rxp() { cat /sys/class/net/eth0/statistics/rx_packets; }
filter_round() {
	r0=$(rxp)
	echo "FILTER-SEND $1"
	i=0
	until wget -q -O /dev/null http://$HOST:8080/sent-$1 2>/dev/null; do
		sleep 1; i=$((i + 1)); [ $i -ge 120 ] && break
	done
	got=$(($(rxp) - r0))
}
filter_round 1
[ $got -lt 100 ] && echo "FILTER-OTHER-MAC dropped ($got frames in)" || echo "FILTER-OTHER-MAC received $got"
ip link set eth0 promisc on
filter_round 2
[ $got -ge 200 ] && echo "FILTER-PROMISC received ($got frames in)" || echo "FILTER-PROMISC only $got"
ip link set eth0 promisc off
ip link set eth0 address 52:54:00:12:34:99
ip neigh flush dev eth0
ping -c 3 -W 2 $HOST | grep -q ' 0% packet loss' && echo "NEW-MAC-PING-OK"
echo "NET-DONE"
