# virtio-net through the legacy interface, with mtu=1400 offered: the MTU the guest takes,
# a ping, and 8 MiB over HTTP checked with md5sum.
echo "VIRTIO-V1 $(cut -c33 /sys/bus/virtio/devices/virtio0/features)"
echo "MTU $(cat /sys/class/net/eth0/mtu)"
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
i=0
while ! ping -c 1 -W 1 10.0.2.1 > /dev/null 2>&1 && [ $i -lt 30 ]; do i=$((i + 1)); done
echo "PING $(ping -c 3 -W 2 10.0.2.1 2>/dev/null | grep -c 'bytes from')"
wget -q -O /tmp/data http://10.0.2.1:8080/data
echo "TCP $(wc -c < /tmp/data) bytes $(md5sum < /tmp/data | cut -d' ' -f1)"
