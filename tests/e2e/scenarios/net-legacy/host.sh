# The host side of tap0: an address, and 8 MiB served over HTTP.
i=0
while ! ip link show tap0 > /dev/null 2>&1; do sleep 0.2; i=$((i + 1)); [ $i -gt 300 ] && exit 1; done
ip link set tap0 mtu 1400 up
ip addr add 10.0.2.1/24 dev tap0
mkdir -p /tmp/khyve-e2e-www
yes khyve-net | head -c 8388608 > /tmp/khyve-e2e-www/data
# in the foreground of a background job: it ends with this scenario
httpd -f -p 10.0.2.1:8080 -h /tmp/khyve-e2e-www &
echo HOST-READY
