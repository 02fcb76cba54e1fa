# The disk is polled (virtio.poll_us=1000): the driver is told not to kick and the
# requests it adds in a burst go to the disk in batches, one interrupt a batch. Debian's
# fio writes 4 KiB blocks at random offsets with crc32c checksums at queue depth 32
# (libaio, O_DIRECT), two jobs on the two vCPUs and queues, then reads every block back
# and checks it; then one job at queue depth 1, also verified.
fiorun() { # name jobs depth size
	fio --name="$1" --filename=/dev/vda --ioengine=libaio --direct=1 --iodepth="$3" \
		--rw=randwrite --bs=4k --size="$4" --numjobs="$2" --offset_increment=32M \
		--verify=crc32c --do_verify=1 --verify_fatal=1 --group_reporting \
		--output-format=terse --terse-version=3 > /tmp/$1.out 2>&1
	rc=$?
	# terse v3: field 5 is the error, 6 read KiB, 47 write KiB.
	echo "FIO $1 rc=$rc $(cut -d';' -f5,6,47 /tmp/$1.out | tail -1)"
	[ $rc -eq 0 ] || tail -5 /tmp/$1.out
	cat /sys/block/vda/inflight | tr -s ' ' | sed "s/^/INFLIGHT $1/"
}
irqs() { # interrupts of the request queues so far
	awk '/virtio0-req/ { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i } END { print n + 0 }' \
		/proc/interrupts
}
reqs() { # reads and writes the disk completed so far (stat fields 1 and 5)
	awk '{ print $1 + $5 }' /sys/block/vda/stat
}
i0=$(irqs) r0=$(reqs)
fiorun qd32 2 32 32M
i1=$(irqs) r1=$(reqs)
fiorun qd1 1 1 4M
# Interrupts per request at queue depth 32: one a batch, so well under one a request.
echo "RATIO qd32 $((i1 - i0)) interrupts for $((r1 - r0)) requests"
[ $(((i1 - i0) * 2)) -lt $((r1 - r0)) ] && echo "BATCHED qd32 yes" || echo "BATCHED qd32 no"
