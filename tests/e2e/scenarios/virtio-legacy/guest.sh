# virtio_pci.force_legacy=1: the transitional virtio-rnd is driven through its legacy
# interface; the modern-only balloon still through the modern one. -W: no MSI-X, so
# interrupts arrive on INTx through the I/O APIC.
for d in /sys/bus/pci/devices/0000:00:0[34].0; do
	drv=$(basename "$(readlink "$d/driver")")
	echo "DEV ${d##*/} $(cat "$d/vendor"):$(cat "$d/device") rev $(cat "$d/revision") $drv"
done
for v in /sys/bus/virtio/devices/*; do
	echo "VIRTIO $(cat "$v/device") $(basename "$(readlink "$v/driver")") v1=$(cut -c33 "$v/features")"
done
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
[ "$n" -gt 65000 ] && echo HWRNG-OK
grep virtio /proc/interrupts | tr -s ' ' | sed 's/^/IRQ/'
grep virtio /proc/interrupts | grep -q 'IO-APIC' && echo INTX-OK
grep virtio /proc/interrupts | grep -q 'MSI' || echo NO-MSIX-OK
i=0
while [ "$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)" -ge 400000 ] && [ $i -lt 100 ]; do
	sleep 0.2; i=$((i + 1))
done
echo "MEMTOTAL $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
[ $i -lt 100 ] && echo BALLOON-INFLATED
