# host side: gdb in batch mode against khyve's debug server (-G w127.0.0.1:45125).
# 1. At the first instruction (the 64-bit entry, 0x100200): threads, registers, a single
#    step, a breakpoint a few instructions on; detach and let the guest boot.
# 2. Once the guest idles: attach to the running machine (every vCPU is kicked out of
#    KVM_RUN), break where a vCPU sits after its HLT, step; detach; tell the guest to end.
# On real hardware the breakpoints are hit (continue, then step over them). Inside the
# emulated host they cannot be: QEMU's TCG never routes INT3 to a nested guest's #BP
# intercept (it checks only the INTn intercept) and does not apply a nested guest's debug
# registers, so there the check is that the int3 goes into guest memory, reads back as the
# guest's byte, and comes out again; no vCPU runs while it is in.
pid=$1 console=$2 stderr=$3
wait_for() { # FILE TEXT
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		sleep 0.2; i=$((i + 1)); [ $i -gt 1500 ] && { echo "HOST: no '$2' in $1"; exit 1; }
	done
}
if [ -n "${KHYVE_E2E_L1:-}" ]; then
	echo "HOST: emulated host: breakpoints inserted and removed, not hit"
	hit=
else
	echo "HOST: breakpoints hit"
	hit=1
fi
# break_check ADDR TAG: gdb commands that set a breakpoint at $ADDR and check it.
break_check() {
	echo "set \$orig = *(unsigned char *)\$$1"
	if [ -n "$hit" ]; then
		cat <<-GDB
		break *\$$1
		continue
		if \$pc == \$$1
		  set \$hitpc = \$pc
		  stepi
		  if \$pc != \$hitpc
		    printf "$2-BREAKPOINT-OK hit at %#lx, stepped over it\n", \$hitpc
		  end
		end
		delete
		GDB
	else
		cat <<-GDB
		set breakpoint always-inserted on
		break *\$$1
		set \$shown = *(unsigned char *)\$$1
		delete
		set breakpoint always-inserted off
		if \$shown == \$orig && *(unsigned char *)\$$1 == \$orig
		  printf "$2-BREAKPOINT-OK inserted at %#lx, read back as %#x, removed\n", \$$1, \$orig
		end
		GDB
	fi
}
wait_for "$stderr" "waiting for a debugger on 127.0.0.1:45125"
tmp=$(mktemp -d)
{
	cat <<-'GDB'
	set pagination off
	set confirm off
	target remote 127.0.0.1:45125
	info threads
	printf "GDB1-ENTRY pc=%#lx\n", $pc
	info registers rip
	p/x $cr0
	set $start = $pc
	stepi
	if $pc != $start
	  printf "GDB1-STEPPED pc=%#lx\n", $pc
	end
	x/3i $pc
	set $brk = $_
	GDB
	break_check brk GDB1
	cat <<-'GDB'
	detach
	echo GDB1-DETACHED\n
	GDB
} > "$tmp/entry.gdb"
{
	cat <<-'GDB'
	set pagination off
	set confirm off
	target remote 127.0.0.1:45125
	printf "GDB2-ATTACHED pc=%#lx\n", $pc
	info threads
	set $here = 0
	thread 1
	if *(unsigned char *)($pc - 1) == 0xf4
	  set $here = $pc
	end
	if $here == 0
	  thread 2
	  if *(unsigned char *)($pc - 1) == 0xf4
	    set $here = $pc
	  end
	end
	if $here == 0
	  set $here = $pc
	end
	printf "GDB2-AFTER-HLT %#lx\n", $here
	GDB
	break_check here GDB2
	cat <<-'GDB'
	set $before = $pc
	stepi
	if $pc != $before
	  printf "GDB2-STEPPED pc=%#lx\n", $pc
	end
	detach
	echo GDB2-DETACHED\n
	GDB
} > "$tmp/idle.gdb"
timeout 150 gdb -nx -batch -x "$tmp/entry.gdb" 2>&1
wait_for "$console" GDB-GUEST-IDLE
sleep 2
timeout 150 gdb -nx -batch -x "$tmp/idle.gdb" 2>&1
rm -rf "$tmp"
(echo GDB-DONE; sleep 5) | busybox nc 127.0.0.1 45127
