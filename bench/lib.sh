# SPDX-License-Identifier: BSD-2-Clause
# Shared by the device benchmarks (bench/blk, bench/net): a guest that runs phases between
# console markers, one emulated host (L1) that runs each VMM in turn and counts, during
# each phase only, what the VMM costs. Sourced by bash; sets `set -euo pipefail` users'
# helpers up. Needs tests/e2e/lib.sh (sourced here) and $top.
. "$top/tests/e2e/lib.sh"

# bench_guest DIR MODULE...: DIR holds a guest root with busybox and the modules; the
# caller adds its programs (e2e_copy_bin) and DIR/init.
bench_guest() {
	local g=$1
	shift
	mkdir -p "$g"/{bin,proc,sys,dev,tmp,modules}
	cp /bin/busybox "$g/bin/busybox"
	e2e_modules "$g/modules" "$@"
}

# bench_l1 ROOT KHYVE GUEST_INITRD: the emulated host's root with khyve, QEMU and its
# firmware, the guest kernel and initrd at /guest/, and /bench-l1.sh (bench/l1-lib.sh).
bench_l1() {
	local r=$1
	e2e_l1_root "$r"
	e2e_copy_bin "$r" "$2" /bin/khyve
	e2e_copy_bin "$r" "$(command -v qemu-system-x86_64)" /bin/qemu-system-x86_64
	mkdir -p "$r/usr/share" && cp -rL /usr/share/qemu /usr/share/seabios "$r/usr/share/"
	mkdir -p "$r/guest" && cp "$E2E_VMLINUZ" "$r/guest/vmlinuz" && cp "$3" "$r/guest/initrd.gz"
	cp "$top/bench/l1-lib.sh" "$r/bench-l1.sh"
}

# bench_boot NAME ROOT BUDGET OUT: boot the emulated host; its RESULT and COUNTS lines go
# to OUT (its whole console to $BENCH_LOG when set). Fails when it did not finish.
bench_boot() {
	local name=$1 r=$2 budget=$3 out=$4 log
	log=$(dirname "$out")/l1.log
	e2e_cpio "$r" "$r.gz"
	e2e_l1_boot "$r.gz" "$budget" < /dev/null > "$log" 2>&1 || true
	[ -z "${BENCH_LOG:-}" ] || cp "$log" "$BENCH_LOG"
	tr -d '\r' < "$log" | grep -a -e '^RESULT' -e '^COUNTS' -e '^PROFILE' > "$out" || true
	if ! grep -q BENCH-DONE "$log"; then
		echo "$name: the L1 run did not finish; its console ends with:" >&2
		tail -30 "$log" >&2
		return 1
	fi
}
