# virtio-net on a tap: the MACs (given, and bhyve's default from slot, function and VM
# name), a ping to the host and a TCP transfer checked with md5sum.
for i in /sys/class/net/eth*; do echo "MAC ${i##*/} $(cat "$i/address")"; done
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
i=0
# the host side configures tap0 once it exists: wait for it to answer
while ! ping -c 1 -W 1 10.0.2.1 > /dev/null 2>&1 && [ $i -lt 30 ]; do i=$((i + 1)); done
echo "PING $(ping -c 5 -W 2 10.0.2.1 2>/dev/null | grep -c 'bytes from')"
wget -q -O /tmp/data http://10.0.2.1:8080/data
echo "TCP $(wc -c < /tmp/data) bytes $(md5sum < /tmp/data | cut -d' ' -f1)"
echo "RX-DROPS $(cat /sys/class/net/eth0/statistics/rx_dropped) $(cat /sys/class/net/eth0/statistics/rx_errors)"
