# virtio-blk through the modern interface: identity, queues (one per vCPU), a read-only
# disk, then a file system written, synced and unmounted; the guest reboots (exit 0) and
# blk2-read reads it back in a new VM.
echo "VIRTIO-V1 $(cut -c33 /sys/bus/virtio/devices/virtio0/features)"
echo "SERIAL $(cat /sys/block/vda/serial)"
echo "QUEUES $(ls /sys/block/vda/mq | wc -l)"
echo "SIZE $(cat /sys/block/vda/size) $(cat /sys/block/vdb/size)"
echo "RO $(cat /sys/block/vda/ro) $(cat /sys/block/vdb/ro)"
echo "RO-MD5 $(md5sum < /dev/vdb | cut -d' ' -f1)"
echo "WCE $(cat /sys/block/vda/queue/write_cache)"
echo "DISCARD $(cat /sys/block/vda/queue/discard_max_bytes)"
mke2fs -q /dev/vda && mount -t ext2 /dev/vda /mnt && echo MOUNTED
i=0
while [ $i -lt 20000 ]; do echo "record $i"; i=$((i + 1)); done > /mnt/data
echo "DATA $(wc -c < /mnt/data)"
sync
umount /mnt && echo UNMOUNTED
reboot -f
