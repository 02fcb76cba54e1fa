# Debian's fio writes 4 KiB blocks at random offsets with crc32c checksums at queue depth
# 32 (libaio, O_DIRECT), then reads every block back and checks it: on a disk with one
# queue (one job), and on a disk with four queues (four jobs, one on each vCPU, so that
# blk-mq sends each job's requests down its own queue).
echo "QUEUES vda $(ls /sys/block/vda/mq | wc -l) vdb $(ls /sys/block/vdb/mq | wc -l)"
fiorun() { # name disk jobs
	fio --name="$1" --filename="$2" --ioengine=libaio --direct=1 --iodepth=32 \
		--rw=randwrite --bs=4k --size=32M --numjobs="$3" --offset_increment=32M \
		--verify=crc32c --do_verify=1 --verify_fatal=1 --group_reporting \
		--output-format=terse --terse-version=3 > /tmp/$1.out 2>&1
	rc=$?
	# terse v3: field 5 is the error, 6 read KiB, 47 write KiB.
	echo "FIO $1 rc=$rc $(cut -d';' -f5,6,47 /tmp/$1.out | tail -1)"
	[ $rc -eq 0 ] || tail -5 /tmp/$1.out
	cat /sys/block/$(basename "$2")/inflight | tr -s ' ' | sed "s/^/INFLIGHT $1/"
}
fiorun q1 /dev/vda 1
fiorun q4 /dev/vdb 4
# Completions per request queue of each disk (MSI-X vectors virtioN-req.Q): every queue
# of vdb carried requests.
awk '/virtio[01]-req/ { n = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i
	print "IRQS " $NF " " (n > 0 ? "used" : "unused") }' /proc/interrupts
