# Transitional virtio-rnd and virtio-balloon, bound by the modern interface, on MSI-X.
devinfo() {
	for d in /sys/bus/pci/devices/0000:00:0[34].0; do
		drv=$(basename "$(readlink "$d/driver")")
		echo "DEV ${d##*/} $(cat "$d/vendor"):$(cat "$d/device") rev $(cat "$d/revision") $drv"
	done
	for v in /sys/bus/virtio/devices/*; do
		echo "VIRTIO $(cat "$v/device") $(basename "$(readlink "$v/driver")") v1=$(cut -c33 "$v/features")"
	done
}
memtotal() { awk '/^MemTotal:/ { print $2 }' /proc/meminfo; }
# wait_below KB: until MemTotal drops under KB (the balloon inflated), 20 s at most
wait_below() {
	i=0
	while [ "$(memtotal)" -ge "$1" ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
	echo "MEMTOTAL $(memtotal)"
	[ "$(memtotal)" -lt "$1" ] && echo "BALLOON-INFLATED"
}
devinfo
# capability IDs of a PCI function, in list order (05 MSI, 09 vendor, 11 MSI-X)
caps() {
	c=/sys/bus/pci/devices/$1/config
	p=$(od -An -tu1 -j52 -N1 "$c" | tr -d ' ')
	ids= n=0
	while [ "$p" -ne 0 ] && [ $n -lt 16 ]; do
		ids="$ids $(od -An -tx1 -j"$p" -N1 "$c" | tr -d ' ')"
		p=$(od -An -tu1 -j$((p + 1)) -N1 "$c" | tr -d ' ')
		n=$((n + 1))
	done
	echo "$ids"
}
echo "CAPS 03.0:$(caps 0000:00:03.0)"
n=$(head -c 65536 /dev/hwrng | tr -d '\000' | wc -c)
echo "HWRNG $(cat /sys/class/misc/hw_random/rng_current) nonzero=$n"
[ "$n" -gt 65000 ] && echo HWRNG-OK
grep virtio /proc/interrupts | tr -s ' ' | sed 's/^/IRQ/'
# virtio_pci gives each queue its own vector only with MSI-X (it never uses MSI)
grep -q 'PCI-MSI.*virtio0-input' /proc/interrupts && grep -q 'PCI-MSI.*virtio0-config' /proc/interrupts && echo MSIX-OK
# target=256 on 512 MiB: 256 MiB in the balloon
wait_below 300000
# The host gets the memory back: deflate, touch 350 MiB, free it, inflate again.
rmmod virtio_balloon
echo "DEFLATED $(memtotal)"
mount -t tmpfs -o size=400m tmpfs /mnt
dd if=/dev/zero of=/mnt/fill bs=1M count=350 2>/dev/null
rm /mnt/fill
echo RSS-MARK-1
sleep 20
insmod /modules/virtio_balloon.ko
wait_below 300000
echo RSS-MARK-2
sleep 20
