# SPDX-License-Identifier: BSD-2-Clause
# Inside the emulated host (busybox sh), sourced by a benchmark's /l1-main: run a VMM whose
# guest prints "PHASE-START job" and "PHASE-END job" around each measured phase and a
# result line after it, and count during each phase only, in the kernel (histogram
# triggers limited to the VMM's threads by set_event_pid, so that reading them takes no
# time while the next phase starts):
#   exits    kvm_userspace_exit: exits that reach the VMM
#   gexits   kvm_exit: every exit of the guest, the kernel's own included
#   syscalls raw_syscalls:sys_enter of the VMM's threads (top: the six most made, NR:count)
#   gpf      kvm_page_fault: the guest's nested page faults by guest-physical address (the
#            four most hit, hex address:count): its kicks on the notify registers, MMIO
#            such as the xAPIC's EOI register (0xfee000b0), and pages not yet mapped
#   msr      kvm_msr: the guest's MSR accesses that exit, the four most made (hex index:count):
#            the x2APIC's EOI (0x80b), the TSC deadline timer (0x6e0), ...
#   inj      kvm_inj_virq: the interrupts injected into the guest, the four most injected
#            vectors (hex vector:count): its devices' MSIs, the local APIC timer (0xec)
# A benchmark may define bench_started (after the VMM starts; $pid), bench_phase_start
# and bench_phase_end (its output: more key=value fields for the COUNTS line).
T=/sys/kernel/tracing
mount -t tracefs nodev $T 2>/dev/null
SYS=$T/events/raw_syscalls/sys_enter UEXIT=$T/events/kvm/kvm_userspace_exit GEXIT=$T/events/kvm/kvm_exit
GPF=$T/events/kvm/kvm_page_fault MSR=$T/events/kvm/kvm_msr INJ=$T/events/kvm/kvm_inj_virq
K=/guest/vmlinuz I=/guest/initrd.gz C="console=ttyS0 quiet panic=-1"
QEMU="/bin/qemu-system-x86_64 -accel kvm -M q35 -cpu host -m 512 -smp 1 -nographic -nodefaults
	-serial stdio -no-reboot -L /usr/share/seabios -L /usr/share/qemu
	-kernel $K -initrd $I"

# The histograms each phase counts: "EVENT TRIGGER" a line, on with count_on, off with count_off.
hists() {
	echo "$SYS hist:keys=id:size=512"
	echo "$UEXIT hist:keys=common_pid"
	echo "$GEXIT hist:keys=exit_reason"
	echo "$GPF hist:keys=fault_address.hex:size=4096"
	echo "$MSR hist:keys=ecx.hex"
	echo "$INJ hist:keys=vector.hex"
}
count_on() { hists | while read -r ev trig; do echo "$trig" > $ev/trigger; done; }
count_off() { hists | while read -r ev trig; do echo "!$trig" > $ev/trigger; done; }
hits() { sed -n 's/^ *Hits: //p' "$1" | head -1; }
# hist_top HIST KEY N FMT: a histogram's N most hit keys, "key:count" comma-separated,
# the key printed with awk's FMT (%x: a decimal key in hex). Lines of another histogram
# on the same event with more keys (a stall report's) are not counted.
hist_top() {
	grep "^{ $2: *[0-9a-fx]* *}" "$1" | sed "s/{ $2: *\([0-9a-fx]*\) *} hitcount: *\([0-9]*\)/\2 \1/" |
		sort -rn | head -"$3" | awk -v f="$4" '{ printf "%s" f ":%s", (NR > 1 ? "," : ""), $2, $1 }'
}
# The tap counters, for a stalled run's report.
taps() {
	for n in /sys/class/net/tap*; do
		[ -e "$n" ] || continue
		echo "E2E-L1: $name: ${n##*/} rx $(cat $n/statistics/rx_packets) tx $(cat $n/statistics/tx_packets) tx_dropped $(cat $n/statistics/tx_dropped)"
	done
}

# run NAME CMD...: the VMM, its console read here; RESULT lines: "RESULT NAME <what the
# guest printed after the result marker>"; COUNTS lines: "COUNTS NAME JOB key=value...".
run() {
	name=$1
	shift
	rm -f /tmp/con
	: > /tmp/$name.con
	mkfifo /tmp/con
	"$@" < /dev/null > /tmp/con 2> /tmp/$name.err &
	pid=$!
	# The watchdog: a guest console silent for STALL seconds (default 120) ends the run,
	# after a report of where the VMM's threads wait and of its io_uring rings.
	(
		last=-1 quiet=0
		while kill -0 $pid 2>/dev/null; do
			sleep 5
			now=$(wc -c < /tmp/$name.con 2>/dev/null || echo 0)
			if [ "$now" = "$last" ]; then quiet=$((quiet + 5)); else quiet=0 last=$now; fi
			[ $quiet -lt ${STALL:-120} ] && continue
			echo "E2E-L1: $name: no console output for $quiet s"
			for t in /proc/$pid/task/*; do
				echo "E2E-L1: $name: thread $(cat $t/comm): $(cat $t/wchan)"
			done
			for fd in /proc/$pid/fd/*; do
				case "$(readlink $fd)" in
				*io_uring*) sed -n -e 's/^/E2E-L1: '"$name"': ring '"${fd##*/}"': /p' \
					/proc/$pid/fdinfo/${fd##*/} | grep -e Sq -e Cq -e Poll -e SQEs -e CQEs | head -12 ;;
				esac
			done
			taps
			# Where the guest is: its exits for 2 s by guest RIP and reason (a guest that
			# exits nowhere is halted with nothing to wake it, or gone), and the taps again.
			ls /proc/$pid/task | tr '\n' ' ' > $T/set_event_pid
			echo 'hist:keys=guest_rip.hex,exit_reason' > $GEXIT/trigger
			echo 'hist:keys=fault_address.hex,error_code.hex' > $GPF/trigger
			sleep 2
			grep '^{ guest_rip:' $GEXIT/hist | sort -t: -k4 -rn | head -6 | sed "s/^/E2E-L1: $name: guest exits /"
			echo "E2E-L1: $name: guest exits in 2 s: $(hits $GEXIT/hist)"
			# The guest-physical addresses its nested page faults hit, with the error code
			# (bit 1: a write): a notify register (kicks), other MMIO, or RAM faulting again.
			grep '^{ fault_address:.*error_code' $GPF/hist | sort -t: -k4 -rn | head -4 | sed "s/^/E2E-L1: $name: guest faults /"
			echo '!hist:keys=guest_rip.hex,exit_reason' > $GEXIT/trigger
			echo '!hist:keys=fault_address.hex,error_code.hex' > $GPF/trigger
			taps
			kill -KILL $pid
			break
		done
	) &
	dog=$!
	command -v bench_started > /dev/null && bench_started
	while IFS= read -r line; do
		line=$(echo "$line" | tr -d '\r')
		echo "$line" >> /tmp/$name.con
		case "$line" in
		*PHASE-START*)
			ls /proc/$pid/task | tr '\n' ' ' > $T/set_event_pid
			command -v bench_phase_start > /dev/null && bench_phase_start
			count_on ;;
		*PHASE-END*)
			c="exits=$(hits $UEXIT/hist) gexits=$(hits $GEXIT/hist) syscalls=$(hits $SYS/hist)"
			# the six most made system calls (NR), the six most frequent exit reasons
			# (SVM/VMX codes, hex), the four most faulted guest-physical addresses (hex)
			c="$c top=$(hist_top $SYS/hist id 6 %s) gtop=$(hist_top $GEXIT/hist exit_reason 6 %x)"
			c="$c gpf=$(hist_top $GPF/hist fault_address 4 %s) msr=$(hist_top $MSR/hist ecx 4 %s)"
			c="$c inj=$(hist_top $INJ/hist vector 4 %s)"
			count_off
			command -v bench_phase_end > /dev/null && c="$c $(bench_phase_end)"
			echo "COUNTS $name ${line#*PHASE-END } $c" ;;
		*RESULT-LINE*) echo "RESULT $name ${line#*RESULT-LINE }" ;;
		esac
	done < /tmp/con
	rc=0
	wait $pid || rc=$?
	kill $dog 2>/dev/null
	echo "E2E-L1: $name done (exit $rc)"
	tail -3 /tmp/$name.err
	# The guest's last words, for a run that went wrong (a guest oops: all of it).
	n=4
	grep -q -e 'Kernel panic' -e 'BUG:' -e 'Oops' /tmp/$name.con && n=60
	tail -$n /tmp/$name.con | sed "s/^/E2E-L1: $name console: /"
}
