# SPDX-License-Identifier: BSD-2-Clause
# Shared by the e2e runner, tools/demo and the benchmarks (bash, sourced): the guest
# kernel, initramfs images, the choice between /dev/kvm and an emulated host ("L1"), and
# the L1 itself. Nothing here runs on its own.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_TOP=$(cd "$E2E_DIR/../.." && pwd)
export KHYVE_CACHE=${KHYVE_CACHE:-$E2E_TOP/build/cache}

# Modules the L2 guest loads at boot (with what they depend on): the virtio drivers, the
# ACPI power button and the input event interface that reports it, and the fw_cfg driver
# (qemu_fw_cfg: /sys/firmware/qemu_fw_cfg; it depends on nothing and finds no device
# unless the DSDT has one).
E2E_GUEST_MODULES="crc32c_generic ext4 virtio_pci virtio_blk virtio_net virtio-rng virtio_balloon virtio_console button evdev qemu_fw_cfg"
# Modules the L1 loads: KVM for AMD SVM (nested in QEMU TCG) and tun for network tests.
E2E_L1_MODULES="kvm-amd tun"
# The emulated host: AMD family 23 (Zen) with SVM and nested paging. With qemu64's K8
# family every guest kernel also walks all PCI buses for a GART aperture.
E2E_L1_CPU=${L1_CPU:-qemu64,+svm,+npt,family=23,model=1,stepping=2}
E2E_L1_MEM=${KHYVE_L1_MEM:-3072}
E2E_L1_SMP=${KHYVE_L1_SMP:-2}

declare -gA _E2E_MODPATH=()
_E2E_MODINDEX=

e2e_log() { echo "e2e: $*" >&2; }
e2e_die() { echo "e2e: $*" >&2; exit 1; }

# Sets E2E_KDIR (the unpacked kernel package), E2E_VMLINUZ and E2E_MODDIR.
e2e_kernel() {
	E2E_KDIR=$("$E2E_DIR/fetch-kernel") || e2e_die "no guest kernel"
	E2E_VMLINUZ=$(ls "$E2E_KDIR"/boot/vmlinuz-* | head -1)
	E2E_MODDIR=$(ls -d "$E2E_KDIR"/lib/modules/*/kernel | head -1)
	[ -f "$E2E_VMLINUZ" ] && [ -d "$E2E_MODDIR" ] || e2e_die "incomplete kernel in $E2E_KDIR"
}

# Module name as the kernel knows it (dashes and underscores are the same).
_e2e_modname() { local n=${1##*/}; n=${n%%.ko*}; echo "${n//-/_}"; }

# e2e_modules DEST NAME...: copy the modules and everything they depend on, uncompressed,
# to DEST/NAME.ko and write DEST/order, one name a line, dependencies first.
# The package ships no modules.dep (depmod runs at install), so read each module's
# "depends=" from its .modinfo section.
e2e_modules() {
	local dest=$1 f n
	shift
	mkdir -p "$dest"
	: > "$dest/order"
	if [ "$_E2E_MODINDEX" != "$E2E_MODDIR" ]; then
		_E2E_MODPATH=()
		while IFS= read -r f; do
			_E2E_MODPATH[$(_e2e_modname "$f")]=$f
		done < <(find "$E2E_MODDIR" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz')
		_E2E_MODINDEX=$E2E_MODDIR
	fi
	for n in "$@"; do _e2e_module "$dest" "$(_e2e_modname "$n")"; done
}

_e2e_module() {
	local dest=$1 n=$2 src deps d
	grep -qx "$n" "$dest/order" && return 0
	src=${_E2E_MODPATH[$n]:-}
	# Built into the kernel, or not there at all: nothing to load.
	[ -n "$src" ] || { e2e_log "module $n: not in the package (built in?)"; return 0; }
	case "$src" in
	*.ko.xz) xz -dc "$src" > "$dest/$n.ko" ;;
	*.ko.zst) zstd -qdc "$src" > "$dest/$n.ko" ;;
	*.ko.gz) gzip -dc "$src" > "$dest/$n.ko" ;;
	*) cp "$src" "$dest/$n.ko" ;;
	esac
	deps=$(tr '\0' '\n' < "$dest/$n.ko" | sed -n 's/^depends=//p' | head -1)
	for d in ${deps//,/ }; do _e2e_module "$dest" "$(_e2e_modname "$d")"; done
	echo "$n" >> "$dest/order"
}

# e2e_cpio DIR OUT: a gzip'ed newc archive of DIR, every file owned by root.
e2e_cpio() {
	(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 > "$2"
}

# e2e_copy_bin ROOT BINARY [PATH]: copy BINARY into ROOT (at /bin/NAME, or PATH) with the
# shared libraries it needs, at the same paths as here.
e2e_copy_bin() {
	local root=$1 bin=$2 to=${3:-/bin/$(basename "$2")} l
	mkdir -p "$root$(dirname "$to")"
	cp "$bin" "$root$to"
	for l in $(ldd "$bin" 2>/dev/null | grep -o '/[^ ]*' || true); do
		mkdir -p "$root$(dirname "$l")"
		cp -Ln "$l" "$root$l"
	done
}

# e2e_host_tool NAME: the path of a program a scenario's host.sh needs (listed in its
# host-tools file), one that runs in the emulated host too: for gdb, Debian's gdb-minimal
# (tests/e2e/fetch-gdb), as the full gdb needs its Python library.
e2e_host_tool() {
	case "$1" in
	gdb) "$E2E_DIR/fetch-gdb" ;;
	*) command -v "$1" || e2e_die "host tool $1: not installed" ;;
	esac
}

# e2e_guest_initrd OUT: the L2 guest's base initramfs: busybox, modules, /init.
# A scenario's script goes into a second archive (e2e_guest_script) that is appended
# to this one: the kernel unpacks both.
e2e_guest_initrd() {
	local g
	g=$(mktemp -d)
	mkdir -p "$g"/{bin,dev,proc,sys,tmp,mnt,modules}
	cp /bin/busybox "$g/bin/busybox"
	cp "$E2E_DIR/guest-init" "$g/init"
	chmod 755 "$g/init"
	e2e_modules "$g/modules" $E2E_GUEST_MODULES
	e2e_cpio "$g" "$1"
	rm -rf "$g"
}

# e2e_guest_script OUT SCRIPT [PROGRAM...]: an archive holding SCRIPT as /scenario.sh,
# which the guest's /init runs last, and the programs (a scenario's guest-tools: fio,
# ethtool, ...) at /bin/NAME with their shared libraries.
e2e_guest_script() {
	local g out=$1 script=$2 t p
	shift 2
	g=$(mktemp -d)
	cp "$script" "$g/scenario.sh"
	for t in "$@"; do
		p=$(command -v "$t") || e2e_die "guest tool $t: not installed"
		e2e_copy_bin "$g" "$p" "/bin/$t"
	done
	e2e_cpio "$g" "$out"
	rm -rf "$g"
}

# e2e_mode PROBE: print how to run VMs here: direct (a /dev/kvm with hardware
# virtualization), l1 (in an emulated host) or skip. KHYVE_E2E_MODE=direct|l1 forces one.
e2e_mode() {
	local probe=$1 mode=${KHYVE_E2E_MODE:-auto}
	case "$mode" in
	direct) echo direct ;;
	l1)
		if command -v qemu-system-x86_64 >/dev/null; then echo l1; else echo skip; fi ;;
	auto)
		if [ -c /dev/kvm ] && [ -x "$probe" ] && "$probe" >&2; then
			echo direct
		elif command -v qemu-system-x86_64 >/dev/null; then
			echo l1
		else
			echo skip
		fi ;;
	*) e2e_die "KHYVE_E2E_MODE must be auto, direct or l1, not '$mode'" ;;
	esac
}

# e2e_l1_root ROOT: the emulated host's base file system: busybox, the KVM modules, the
# common /init (tests/e2e/l1-init) that sets up /dev/kvm and then runs /l1-main, which the
# caller provides along with what it needs.
e2e_l1_root() {
	local r=$1
	mkdir -p "$r"/{bin,dev,proc,sys,tmp,mod,out}
	cp /bin/busybox "$r/bin/busybox"
	cp "$E2E_DIR/l1-init" "$r/init"
	chmod 755 "$r/init"
	e2e_modules "$r/mod" $E2E_L1_MODULES
}

# e2e_l1_boot INITRD TIMEOUT [qemu options...]: boot the emulated host on this machine's
# QEMU in software (TCG); its console (ttyS0) is stdin/stdout, Ctrl-A x ends it, and with
# no screen the firmware stays silent. It powers itself off at the end.
e2e_l1_boot() {
	local initrd=$1 budget=$2 fg=()
	shift 2
	# On a terminal QEMU must stay in the foreground process group to read from it.
	[ -t 0 ] && fg=(--foreground)
	timeout "${fg[@]}" -s KILL "$budget" qemu-system-x86_64 -machine q35,accel=tcg -cpu "$E2E_L1_CPU" \
		-m "$E2E_L1_MEM" -smp "$E2E_L1_SMP" -display none -vga none -serial mon:stdio \
		-no-reboot -nic none \
		-kernel "$E2E_VMLINUZ" -initrd "$initrd" \
		-append "console=ttyS0 quiet loglevel=1 panic=-1" "$@"
}
