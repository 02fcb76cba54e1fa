# The host side of tap0 (../../net-host.sh): address, MTU, a web server with the guest's
# download, then the guest's file fetched back and its MD5 printed; frames to another
# address for the filter.
pid=$1 console=$2 TAP=tap0 HOST=10.0.2.1 GUEST=10.0.2.15 SIZE=104857600 MTU=9000
. ../../net-host.sh
net_host_up || exit 1
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
net_host_end
