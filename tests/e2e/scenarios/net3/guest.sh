# Three NICs as in bhyve(8)'s second example: functions 0-2 of slot 2 on tap0-tap2, the
# first two with bhyve's default MACs (from slot, function and VM name), the third with
# the MAC given. Each pings its own subnet on the host; ethtool shows the offloads.
i=0
while [ ! -e /sys/class/net/eth2 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
for n in 0 1 2; do
	d=/sys/class/net/eth$n
	echo "NIC eth$n $(basename "$(readlink -f $d/device/..)") $(cat $d/address)"
	ip link set eth$n up
	ip addr add 10.0.1$n.15/24 dev eth$n
done
echo NICS-READY
for n in 0 1 2; do
	i=0
	until ping -c 1 -W 1 10.0.1$n.1 >/dev/null 2>&1; do i=$((i + 1)); [ $i -ge 60 ] && break; done
	ping -c 2 10.0.1$n.1 | grep -q ' 0% packet loss' && echo "PING eth$n OK"
done
ethtool -i eth0 | grep '^driver'
ethtool -k eth0 | grep -E '^(rx-checksumming|tx-checksumming|	tx-checksum-ip-generic|	tx-tcp-segmentation|	tx-tcp6-segmentation|	tx-tcp-ecn-segmentation):' |
	sed 's/^\t//; s/^/OFFLOAD /'
# The host has seen each NIC's MAC (its neighbour table); wait for its word.
i=0
until wget -q -O /dev/null http://10.0.10.1:8080/done 2>/dev/null; do
	sleep 0.5; i=$((i + 1)); [ $i -ge 120 ] && break
done
