# The disk blk1-write left, in a new VM, through the legacy interface.
echo "VIRTIO-V1 $(cut -c33 /sys/bus/virtio/devices/virtio0/features)"
echo "SERIAL $(cat /sys/block/vda/serial)"
echo "QUEUES $(ls /sys/block/vda/mq | wc -l)"
mount -t ext2 /dev/vda /mnt && echo MOUNTED
i=0
while [ $i -lt 20000 ]; do echo "record $i"; i=$((i + 1)); done > /tmp/expected
cmp /tmp/expected /mnt/data && echo DATA-OK
# a write through the legacy interface, flushed
echo again > /mnt/again && sync && umount /mnt && echo UNMOUNTED
