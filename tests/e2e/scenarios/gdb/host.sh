# host side: gdb in batch mode against khyve's debug server (-G w127.0.0.1:45125).
# 1. At the first instruction (the 64-bit entry, 0x100200): registers, threads, a single
#    step, a breakpoint a few instructions on, stepping over it; detach and let it boot.
# 2. Once the guest idles: attach to the running machine, break where a vCPU sits after
#    its HLT (hit again when an interrupt wakes it), step; detach; tell the guest to end.
# Inside the emulated host the breakpoints are hardware ones (hbreak, Z1): QEMU's TCG
# never routes INT3 to a nested guest's #BP intercept (it checks only the INTn intercept),
# so KVM cannot see a software breakpoint there; on real hardware they are int3 (break, Z0).
pid=$1 console=$2 stderr=$3
brk=break
[ -n "${KHYVE_E2E_L1:-}" ] && brk=hbreak
echo "HOST: breakpoints with '$brk'"
wait_for() { # FILE TEXT
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		sleep 0.2; i=$((i + 1)); [ $i -gt 1500 ] && { echo "HOST: no '$2' in $1"; exit 1; }
	done
}
wait_for "$stderr" "waiting for a debugger on 127.0.0.1:45125"
tmp=$(mktemp -d)
cat > "$tmp/entry.gdb" <<'GDB'
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
@BREAK@ *$brk
continue
if $pc == $brk
  printf "GDB1-BREAK-HIT pc=%#lx\n", $pc
end
set $byte = *(unsigned char *)$brk
if $byte != 0xcc
  printf "GDB1-ORIGINAL-BYTE %#x\n", $byte
end
stepi
if $pc != $brk
  printf "GDB1-STEPPED-OVER pc=%#lx\n", $pc
end
delete
detach
echo GDB1-DETACHED\n
GDB
cat > "$tmp/idle.gdb" <<'GDB'
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
printf "GDB2-BREAK-AT %#lx\n", $here
@BREAK@ *$here
continue
if $pc == $here
  printf "GDB2-BREAK-HIT pc=%#lx\n", $pc
end
stepi
if $pc != $here
  printf "GDB2-STEPPED pc=%#lx\n", $pc
end
delete
detach
echo GDB2-DETACHED\n
GDB
sed -i "s/@BREAK@/$brk/" "$tmp/entry.gdb" "$tmp/idle.gdb"
timeout 150 gdb -nx -batch -x "$tmp/entry.gdb" 2>&1
wait_for "$console" GDB-GUEST-IDLE
sleep 2
timeout 150 gdb -nx -batch -x "$tmp/idle.gdb" 2>&1
rm -rf "$tmp"
(echo GDB-DONE; sleep 5) | busybox nc 127.0.0.1 45127
