# The host side of vmnet0 (../../net-host.sh): address, MTU, a web server with the guest's
# download, then the guest's file fetched back and its MD5 printed.
pid=$1 console=$2 TAP=vmnet0 HOST=10.0.3.1 GUEST=10.0.3.15 SIZE=16777216 MTU=1500
. ../../net-host.sh
net_host_up || exit 1
net_host_end
