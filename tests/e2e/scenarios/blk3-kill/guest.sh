# On a disk marked IDLE (the scenario's own VM): wait for host.sh to end us. On a blank
# disk (host.sh's VMs): write record after record, each flushed (fsync → virtio FLUSH)
# before it is acknowledged on the console, until khyve is killed.
if [ "$(head -c 4 /dev/vda)" = IDLE ]; then
	echo IDLE-VM
	i=0
	while [ $i -lt 600 ]; do sleep 1; i=$((i + 1)); done
else
	i=0
	while :; do
		printf 'rec %08d\n' $i | dd of=/dev/vda bs=512 seek=$i conv=sync,fsync 2>/dev/null || break
		echo "ACK $i"
		i=$((i + 1))
	done
	echo WRITE-FAILED
fi
