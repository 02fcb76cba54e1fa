// SPDX-License-Identifier: BSD-2-Clause
#include "khyve/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "khyve/acpi.h"
#include "khyve/cli.h"
#include "khyve/fw_cfg.h"
#include "khyve/gdb_server.h"
#include "khyve/kernel_cache.h"
#include "khyve/linux_boot.h"
#include "khyve/lpc.h"
#include "khyve/mptable.h"
#include "khyve/readfile.h"
#include "khyve/smbios.h"
#include "khyve/vcpu.h"

#define DEFAULT_MEMSIZE "256M"

static const struct pm_ops vm_pm_ops;

void vm_request_stop(struct vm *vm, int exit_code)
{
	int none = -1;
	atomic_compare_exchange_strong(&vm->stop_code, &none, exit_code);
	uint64_t one = 1;
	if (vm->stop_efd >= 0 && write(vm->stop_efd, &one, sizeof(one)) < 0) {
		/* counter saturated: the loop is being woken already */
	}
}

void vm_set_irq(struct vm *vm, unsigned gsi, int level)
{
	kvm_irq_line(&vm->kvm, gsi, level);
}

static void pm_set_sci(void *arg, int level)
{
	vm_set_irq(arg, ACPI_SCI_IRQ, level);
}

static void pm_request_stop(void *arg, int code)
{
	vm_request_stop(arg, code);
}

static const struct pm_ops vm_pm_ops = {.set_sci = pm_set_sci, .request_stop = pm_request_stop};

static int pci_msi_send(void *arg, uint64_t addr, uint32_t data)
{
	struct vm *vm = arg;
	return kvm_signal_msi(&vm->kvm, addr, data);
}

static void pci_intx_level(void *arg, unsigned gsi, int level)
{
	vm_set_irq(arg, gsi, level);
}

static void io_sink(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	if (!is_write)
		memset(data, 0xff, size);
}

/* What read_whole_file's error means for the kernel or initrd, for a message. */
static const char *file_error(int rc)
{
	return rc == -EFBIG ? "larger than guest memory below 4 GiB" : read_whole_file_error(rc);
}

static int setup_memory(struct vm *vm, char *err, size_t errlen)
{
	const char *ms = config_get(vm->cfg, "memory.size");
	if (ms == NULL)
		ms = DEFAULT_MEMSIZE;
	if (cli_parse_memsize(ms, &vm->ram_size) < 0 || vm->ram_size < (16ull << 20)) {
		snprintf(err, errlen, "invalid memory size '%s' (at least 16M)", ms);
		return -EINVAL;
	}
	vm->ram_size = (vm->ram_size + 0x1fffff) & ~0x1fffffull; /* whole 2 MiB pages */
	vm->lowmem = vm->ram_size < VM_LOWMEM_LIMIT ? vm->ram_size : VM_LOWMEM_LIMIT;
	vm->highmem = vm->ram_size - vm->lowmem;
	/*
	 * Reserve address space only: pages are allocated when the guest touches
	 * them. Aligned to 2 MiB so that transparent huge pages can back guest
	 * RAM and KVM maps it with large pages (fewer nested page-table walks).
	 */
	const size_t align = 2u << 20;
	uint8_t *raw = mmap(NULL, vm->ram_size + align, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED) {
		int rc = -errno;
		snprintf(err, errlen, "cannot map %llu MiB of guest memory: %s",
			 (unsigned long long)(vm->ram_size >> 20), strerror(errno));
		return rc;
	}
	uint8_t *ram = (uint8_t *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
	if (ram > raw)
		munmap(raw, (size_t)(ram - raw));
	munmap(ram + vm->ram_size, (size_t)(raw + align - ram));
	madvise(ram, vm->ram_size, MADV_HUGEPAGE);
	vm->ram = ram;
	bool in_core = false, wired = false;
	if (config_get_bool(vm->cfg, "memory.guest_in_core", false, &in_core) < 0 ||
	    config_get_bool(vm->cfg, "memory.wired", false, &wired) < 0) {
		snprintf(err, errlen, "memory.guest_in_core / memory.wired: not a boolean");
		return -EINVAL;
	}
	if (!in_core)
		madvise(ram, vm->ram_size, MADV_DONTDUMP);
	if (wired && mlock(ram, vm->ram_size) < 0) {
		int rc = -errno;
		snprintf(err, errlen, "cannot wire guest memory (-S): %s", strerror(errno));
		return rc;
	}
	int rc = gmem_add(&vm->gmem, 0, vm->lowmem, ram);
	if (rc == 0)
		rc = kvm_set_memory(&vm->kvm, 0, 0, vm->lowmem, ram);
	if (rc == 0 && vm->highmem) {
		rc = gmem_add(&vm->gmem, VM_HIGHMEM_BASE, vm->highmem, vm->ram + vm->lowmem);
		if (rc == 0)
			rc = kvm_set_memory(&vm->kvm, 1, VM_HIGHMEM_BASE, vm->highmem,
					    vm->ram + vm->lowmem);
	}
	if (rc < 0)
		snprintf(err, errlen, "cannot register guest memory: %s", strerror(-rc));
	return rc;
}

static int setup_platform_io(struct vm *vm, char *err, size_t errlen)
{
	struct {
		struct iobus *bus;
		uint64_t base, len;
		io_access_fn fn;
		void *opaque;
	} const map[] = {
		{&vm->pio, 0xcf8, 4, pci_cf8_io, &vm->pci},
		{&vm->pio, 0xcfc, 4, pci_cfc_io, &vm->pci},
		{&vm->mmio, VM_ECAM_BASE, VM_ECAM_USED, pci_ecam_mmio, &vm->pci},
		{&vm->pio, ACPI_PM1A_EVT_PORT, 4, pm_evt_io, &vm->pm},
		{&vm->pio, ACPI_PM1A_CNT_PORT, 2, pm_cnt_io, &vm->pm},
		{&vm->pio, 0x60, 5, pm_i8042_io, &vm->pm},
		{&vm->pio, 0x70, 2, rtc_io, &vm->rtc},
		{&vm->pio, 0x80, 1, io_sink, NULL}, /* POST code / I/O delay port */
		{&vm->pio, FW_CFG_IO_BASE, FW_CFG_IO_LEN, fw_cfg_io, vm->fwcfg}, /* if wanted */
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (map[i].fn == fw_cfg_io && vm->fwcfg == NULL)
			continue;
		int rc = iobus_register(map[i].bus, map[i].base, map[i].len, map[i].fn,
				       map[i].opaque);
		if (rc < 0) {
			snprintf(err, errlen, "cannot register platform I/O at %#llx: %s",
				 (unsigned long long)map[i].base, strerror(-rc));
			return rc;
		}
	}
	vm->pci.reset_write = pm_reset_write;
	vm->pci.reset_arg = &vm->pm;
	/* Where BARs decode and are allocated: the windows ACPI's _CRS describes. */
	struct pci_root *r = &vm->pci;
	r->pio = &vm->pio;
	r->mmio = &vm->mmio;
	r->io_base = VM_PCI_IO_BASE;
	r->io_limit = VM_PCI_IO_BASE + VM_PCI_IO_SIZE;
	r->mem32_base = VM_PCI_MEM32_BASE;
	r->mem32_limit = VM_PCI_MEM32_BASE + VM_PCI_MEM32_SIZE;
	r->mem64_base = vm_pci_mem64_base(vm);
	r->mem64_limit = r->mem64_base + VM_PCI_MEM64_SIZE;
	r->msi_send = pci_msi_send;
	r->intx_set = pci_intx_level;
	r->irq_arg = vm;
	r->kvm = &vm->kvm;
	return 0;
}

struct pci_walk {
	struct vm *vm;
	const char *bus, *slot;
	char *err;
	size_t errlen;
	int rc;
};

static int parse_index(const char *s, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int pci_func_cb(const char *func, const char *value, void *arg)
{
	struct pci_walk *w = arg;
	unsigned b, s, f;
	char node[64], key[80];
	snprintf(node, sizeof(node), "pci.%s.%s.%s", w->bus, w->slot, func);
	if (value || parse_index(w->bus, 255, &b) || parse_index(w->slot, PCI_SLOTS - 1, &s) ||
	    parse_index(func, PCI_FUNCS - 1, &f)) {
		snprintf(w->err, w->errlen, "%s: not a valid PCI bus.slot.function", node);
		return -EINVAL;
	}
	snprintf(key, sizeof(key), "%s.device", node);
	const char *name = config_get(w->vm->cfg, key);
	const struct pci_devemu *emu = name ? pci_emul_find(name) : NULL;
	if (emu == NULL) {
		snprintf(w->err, w->errlen, "%s: unknown PCI emulation '%s' (see -s help)", node,
			 name ? name : "");
		return -EINVAL;
	}
	if (b != 0) {
		snprintf(w->err, w->errlen, "%s: only PCI bus 0 is supported", node);
		return -EINVAL;
	}
	struct pci_dev *d = pci_dev_add(&w->vm->pci, s, f, emu);
	if (d == NULL) {
		snprintf(w->err, w->errlen, "%s: PCI slot already in use", node);
		return -EEXIST;
	}
	int rc = emu->init(w->vm, d, node, w->err, w->errlen);
	if (rc < 0 && w->err[0] == '\0')
		snprintf(w->err, w->errlen, "%s: %s initialisation failed: %s", node, name,
			 strerror(-rc));
	return rc;
}

static int pci_slot_cb(const char *slot, const char *value, void *arg)
{
	struct pci_walk *w = arg;
	char node[32];
	w->slot = slot;
	snprintf(node, sizeof(node), "pci.%s.%s", w->bus, slot);
	return value ? -EINVAL : config_foreach_child(w->vm->cfg, node, pci_func_cb, w);
}

static int pci_bus_cb(const char *bus, const char *value, void *arg)
{
	struct pci_walk *w = arg;
	char node[16];
	w->bus = bus;
	snprintf(node, sizeof(node), "pci.%s", bus);
	return value ? -EINVAL : config_foreach_child(w->vm->cfg, node, pci_slot_cb, w);
}

static int setup_pci(struct vm *vm, char *err, size_t errlen)
{
	struct pci_walk w = {.vm = vm, .err = err, .errlen = errlen};
	err[0] = '\0';
	int rc = config_foreach_child(vm->cfg, "pci", pci_bus_cb, &w);
	if (rc < 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "bad PCI configuration");
		return rc;
	}
	pci_root_finish(&vm->pci);
	return 0;
}

static int setup_acpi(struct vm *vm, uint64_t *rsdp, char *err, size_t errlen)
{
	struct acpi_layout l = {
		.base_gpa = VM_ACPI_GPA,
		.ncpus = vm->ncpus,
		.lapic_addr = VM_LAPIC_GPA,
		.ioapic_addr = VM_IOAPIC_GPA,
		/* after the highest local APIC ID: the two share one ID space on an xAPIC bus */
		.ioapic_id = (uint8_t)(vcpu_apic_id(&vm->topo, vm->ncpus - 1) + 1),
		.ecam_base = VM_ECAM_BASE,
		.ecam_last_bus = VM_PCI_LAST_BUS,
		.pci_io_base = VM_PCI_IO_BASE,
		.pci_io_size = VM_PCI_IO_SIZE,
		.pci_mem32_base = VM_PCI_MEM32_BASE,
		.pci_mem32_size = VM_PCI_MEM32_SIZE,
		.pci_mem64_base = vm_pci_mem64_base(vm),
		.pci_mem64_size = VM_PCI_MEM64_SIZE,
	};
	for (unsigned s = 0; s < PCI_SLOTS; s++)
		if (vm->pci.dev[s][0])
			l.pci_slot_mask |= 1u << s;
	uint8_t apic_ids[VM_MAX_VCPUS];
	for (unsigned i = 0; i < vm->ncpus; i++)
		apic_ids[i] = (uint8_t)vcpu_apic_id(&vm->topo, i);
	l.apic_id = apic_ids;
	bool mptable = true;
	if (config_get_bool(vm->cfg, "x86.mptable", true, &mptable) < 0) {
		snprintf(err, errlen, "x86.mptable: not a boolean");
		return -EINVAL;
	}
	if (mptable) { /* for guests that do not use ACPI, as bhyve does unless -Y */
		struct mptable_layout mp = {.ncpus = vm->ncpus, .apic_id = apic_ids,
					    .lapic_addr = VM_LAPIC_GPA, .ioapic_addr = VM_IOAPIC_GPA,
					    .ioapic_id = l.ioapic_id,
					    .pci_slot_mask = l.pci_slot_mask};
		uint8_t *mpbuf = gmem_ptr(&vm->gmem, MPTABLE_GPA, MPTABLE_MAX_SIZE);
		long m = mpbuf ? mptable_build(&mp, mpbuf, MPTABLE_MAX_SIZE, MPTABLE_GPA) : -ENOSPC;
		if (m < 0) {
			snprintf(err, errlen, "cannot build the MP table: %s", strerror((int)-m));
			return (int)m;
		}
	}
	/* The COM ports and the clock, described so the OS does not probe for them. */
	for (unsigned i = 0; vm->lpc && i < LPC_NCOM; i++)
		if (vm->lpc->com[i].present)
			l.com_mask |= (uint8_t)(1u << i);
	l.rtc = true;
	l.fw_cfg = vm->fwcfg != NULL;
	uint8_t *buf = gmem_ptr(&vm->gmem, VM_ACPI_GPA, VM_ACPI_SIZE);
	long n = buf ? acpi_build(&l, buf, VM_ACPI_SIZE, rsdp) : -ENOSPC;
	if (n < 0) {
		snprintf(err, errlen, "cannot build ACPI tables: %s", strerror((int)-n));
		return (int)n;
	}
	return 0;
}

static int setup_smbios(struct vm *vm, char *err, size_t errlen)
{
	struct smbios_info info = {0};
	const char *uuid = config_get(vm->cfg, "uuid");
	if (uuid) {
		if (smbios_parse_uuid(uuid, info.uuid) < 0) {
			snprintf(err, errlen, "invalid UUID '%s'", uuid);
			return -EINVAL;
		}
	} else {
		char host[256] = "";
		const char *name = config_get(vm->cfg, "name");
		gethostname(host, sizeof(host) - 1);
		smbios_default_uuid(name ? name : "", host, info.uuid);
	}
	uint8_t *buf = gmem_ptr(&vm->gmem, SMBIOS_GPA, SMBIOS_MAX_SIZE);
	long n = buf ? smbios_build(&info, buf, SMBIOS_MAX_SIZE, SMBIOS_GPA) : -ENOSPC;
	if (n < 0) {
		snprintf(err, errlen, "cannot build SMBIOS tables: %s", strerror((int)-n));
		return (int)n;
	}
	return 0;
}

static int load_kernel(struct vm *vm, uint64_t rsdp, struct linux_entry *entry, char *err,
		       size_t errlen)
{
	const char *kpath = config_get(vm->cfg, "boot.kernel");
	const char *ipath = config_get(vm->cfg, "boot.initrd");
	if (kpath == NULL) {
		snprintf(err, errlen, "no kernel to boot: set -o boot.kernel=PATH (a bzImage)");
		return -EINVAL;
	}
	struct linux_boot_args a = {.cmdline = config_get(vm->cfg, "boot.cmdline"),
				    .lowmem_top = vm->lowmem,
				    .rsdp_gpa = rsdp};
	struct e820_map map;
	uint8_t *kernel = NULL, *initrd = NULL;
	int rc = read_whole_file(kpath, vm->lowmem, &kernel, &a.kernel_len);
	if (rc < 0) {
		snprintf(err, errlen, "cannot read kernel %s: %s", kpath, file_error(rc));
		return rc;
	}
	if (ipath) {
		rc = read_whole_file(ipath, vm->lowmem, &initrd, &a.initrd_len);
		if (rc < 0) {
			snprintf(err, errlen, "cannot read initrd %s: %s", ipath, file_error(rc));
			free(kernel);
			return rc;
		}
	}
	a.kernel = kernel;
	a.initrd = initrd;
	struct vmlinux vmlinux;
	const char *cache = config_get(vm->cfg, "boot.kernel_cache");
	char why[200] = "";
	if (vmlinux_is_elf(kernel, a.kernel_len)) {
		/* an unpacked vmlinux: its segments go where its program headers say */
		size_t head = a.kernel_len < VMLINUX_HEAD_MAX ? a.kernel_len : VMLINUX_HEAD_MAX;
		rc = vmlinux_parse(kernel, head, a.kernel_len, BOOT_KERNEL_GPA, vm->lowmem,
				   &vmlinux, why, sizeof(why));
		if (rc == 0 && vmlinux_load_buf(&vm->gmem, &vmlinux, kernel) < 0) {
			snprintf(why, sizeof(why), "it does not fit in guest memory");
			rc = -ENOSPC;
		}
		a.vmlinux = &vmlinux;
	} else if (cache && *cache) {
		char note[300];
		enum kcache_outcome got = kernel_cache_load(cache, kernel, a.kernel_len, &vm->gmem,
							    BOOT_KERNEL_GPA, vm->lowmem, &vmlinux,
							    note, sizeof(note));
		if (got != KCACHE_UNUSED)
			a.vmlinux = &vmlinux;
		if (note[0])
			fprintf(stderr, "khyve: notice: boot.kernel_cache %s: %s%s\n", cache, note,
				got == KCACHE_UNUSED ? "; the guest unpacks its kernel itself" : "");
	}
	if (rc == 0)
		rc = e820_build(&map, vm->lowmem, vm->highmem, VM_ECAM_BASE, VM_ECAM_USED);
	a.e820 = &map;
	if (rc == 0)
		rc = linux_boot_load(&vm->gmem, &a, entry, why, sizeof(why));
	if (rc < 0)
		snprintf(err, errlen, "cannot boot %s: %s", kpath, why[0] ? why : strerror(-rc));
	free(kernel);
	free(initrd);
	return rc;
}

static int setup_vcpus(struct vm *vm, const struct linux_entry *entry, char *err, size_t errlen)
{
	vm->vcpu = calloc(vm->ncpus, sizeof(*vm->vcpu));
	if (vm->vcpu == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < vm->ncpus; i++)
		vm->vcpu[i].kfd.fd = -1;
	for (unsigned i = 0; i < vm->ncpus; i++) {
		int rc = vcpu_init(vm, &vm->vcpu[i], i, err, errlen);
		if (rc < 0)
			return rc;
		char key[32];
		snprintf(key, sizeof(key), "vcpu.%u.cpuset", i);
		const char *set = config_get(vm->cfg, key);
		if (set == NULL)
			continue;
		if (vcpu_parse_cpuset(set, &vm->vcpu[i].cpuset) < 0) {
			snprintf(err, errlen, "%s: invalid host CPU list '%s'", key, set);
			return -EINVAL;
		}
		vm->vcpu[i].pinned = true;
	}
	/*
	 * CONFIG_ADDRESS writes need no exit of their own: the CONFIG_DATA access
	 * that follows exits, and the queued address is replayed first. This
	 * halves the exits of a guest's PCI bus scan.
	 */
	if (kvm_coalesce_pio(&vm->kvm, 0xcf8, 4) == 0)
		vm->coalesced = kvm_vcpu_coalesced_ring(&vm->kvm, &vm->vcpu[0].kfd);
	int rc = vcpu_setup_linux_entry(&vm->vcpu[0], entry);
	if (rc < 0)
		snprintf(err, errlen, "cannot set the boot CPU's registers: %s", strerror(-rc));
	return rc;
}

static int read_ncpus(struct vm *vm, char *err, size_t errlen)
{
	uint64_t n;
	if (config_get_u64(vm->cfg, "cpus", 1, &n) < 0 || n < 1 || n > VM_MAX_VCPUS) {
		snprintf(err, errlen, "invalid number of vCPUs '%s' (1 to %u)",
			 config_get(vm->cfg, "cpus"), VM_MAX_VCPUS);
		return -EINVAL;
	}
	vm->ncpus = (unsigned)n;
	uint64_t sockets = 1, cores = n, threads = 1;
	if (config_get(vm->cfg, "sockets") || config_get(vm->cfg, "cores") ||
	    config_get(vm->cfg, "threads")) {
		cores = 1;
		if (config_get_u64(vm->cfg, "sockets", 1, &sockets) < 0 ||
		    config_get_u64(vm->cfg, "cores", 1, &cores) < 0 ||
		    config_get_u64(vm->cfg, "threads", 1, &threads) < 0 || sockets == 0 ||
		    cores == 0 || threads == 0 || sockets * cores * threads > VM_MAX_VCPUS * 4 ||
		    sockets * cores * threads < n) {
			snprintf(err, errlen, "invalid CPU topology: %s sockets x %s cores x %s threads "
					      "for %llu vCPUs",
				 config_get(vm->cfg, "sockets") ? config_get(vm->cfg, "sockets") : "1",
				 config_get(vm->cfg, "cores") ? config_get(vm->cfg, "cores") : "1",
				 config_get(vm->cfg, "threads") ? config_get(vm->cfg, "threads") : "1",
				 (unsigned long long)n);
			return -EINVAL;
		}
	}
	vm->topo = (struct vcpu_topology){(unsigned)sockets, (unsigned)cores, (unsigned)threads};
	/* APIC IDs are 8 bits in xAPIC mode and in the MADT entries built here; 0xff broadcasts. */
	if (vcpu_apic_id(&vm->topo, vm->ncpus - 1) >= 0xff) {
		snprintf(err, errlen, "CPU topology %u sockets x %u cores x %u threads needs APIC IDs "
				      "above 254", vm->topo.sockets, vm->topo.cores, vm->topo.threads);
		return -ENOTSUP;
	}
	return 0;
}

/* The kernel, initrd and UUID named by the configuration, checked before any setup. */
static int check_boot_files(struct vm *vm, char *err, size_t errlen)
{
	const char *keys[] = {"boot.kernel", "boot.initrd"};
	if (config_get(vm->cfg, "boot.kernel") == NULL) {
		snprintf(err, errlen, "no kernel to boot: set -o boot.kernel=PATH (a bzImage)");
		return -EINVAL;
	}
	for (size_t i = 0; i < 2; i++) {
		const char *path = config_get(vm->cfg, keys[i]);
		if (path == NULL)
			continue;
		/* O_NONBLOCK: a FIFO opens at once; read_whole_file refuses it later. */
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0) {
			int rc = -errno;
			snprintf(err, errlen, "cannot read %s %s: %s", i ? "initrd" : "kernel", path,
				 strerror(errno));
			return rc;
		}
		close(fd);
	}
	uint8_t uuid[16];
	const char *u = config_get(vm->cfg, "uuid");
	if (u && smbios_parse_uuid(u, uuid) < 0) {
		snprintf(err, errlen, "invalid UUID '%s'", u);
		return -EINVAL;
	}
	return 0;
}

_Static_assert(FW_CFG_IO_BASE == ACPI_FWCFG_PORT && FW_CFG_IO_LEN == ACPI_FWCFG_PORTS,
	       "the DSDT describes the fw_cfg ports that are registered");

/*
 * QEMU's fw_cfg when -f gives items or -l fwcfg=qemu asks for it. bhyve
 * offers it only with fwcfg=qemu (its default, fwcfg=bhyve, is the
 * bootrom's own interface on the same ports); khyve has no bootrom, so -f
 * items alone bring the device. The files are read here, before KVM.
 */
static int setup_fw_cfg(struct vm *vm, char *err, size_t errlen)
{
	bool wanted;
	int rc = fw_cfg_wanted(vm->cfg, &wanted, err, errlen);
	if (rc < 0 || !wanted)
		return rc;
	vm->fwcfg = malloc(sizeof(*vm->fwcfg));
	if (vm->fwcfg == NULL)
		return -ENOMEM;
	fw_cfg_init(vm->fwcfg, &vm->gmem, vm->ncpus);
	return fw_cfg_load_config(vm->fwcfg, vm->cfg, err, errlen);
}

/* bhyve options that change nothing on Linux/KVM, or that this build lacks: one notice each. */
static void report_inert_options(const struct config *cfg)
{
	static const struct {
		const char *key, *note;
	} inert[] = {
		{"destroy_on_poweroff", "-D: a khyve VM always ends with its process"},
		{"x86.vmexit_on_hlt", "-H: KVM always lets the host run other work while a vCPU halts"},
		{"x86.vmexit_on_pause", "-P: KVM's pause-loop exiting is always on"},
	};
	for (size_t i = 0; i < sizeof(inert) / sizeof(inert[0]); i++)
		if (config_get(cfg, inert[i].key))
			fprintf(stderr, "khyve: notice: %s\n", inert[i].note);
}

int vm_create(struct vm **out, const struct config *cfg, char *err, size_t errlen)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	if (vm == NULL)
		return -ENOMEM;
	vm->cfg = cfg;
	vm->stop_code = -1;
	pthread_mutex_init(&vm->coalesced_lock, NULL);
	pthread_mutex_init(&vm->pause_lock, NULL);
	pthread_cond_init(&vm->pause_cond, NULL);
	pthread_cond_init(&vm->parked_cond, NULL);
	vm->stop_efd = vm->signal_fd = vm->timer_fd = -1;
	vm->kvm.sys_fd = vm->kvm.vm_fd = -1;
	*out = vm;
	iobus_init(&vm->pio);
	iobus_init(&vm->mmio);
	pci_root_init(&vm->pci);
	pm_init(&vm->pm, &vm_pm_ops, vm);
	bool localtime = true;
	bool strictmsr = true;
	if (config_get_bool(cfg, "x86.strictio", false, &vm->strictio) < 0 ||
	    config_get_bool(cfg, "rtc.use_localtime", true, &localtime) < 0 ||
	    config_get_bool(cfg, "x86.x2apic", false, &vm->x2apic) < 0 ||
	    config_get_bool(cfg, "x86.strictmsr", true, &strictmsr) < 0) {
		snprintf(err, errlen, "x86.strictio, x86.strictmsr, x86.x2apic and "
				      "rtc.use_localtime take a boolean");
		return -EINVAL;
	}
	report_inert_options(cfg);
	/* Everything the configuration alone can get wrong is reported before KVM is touched. */
	int rc;
	if ((rc = read_ncpus(vm, err, errlen)) < 0 || (rc = check_boot_files(vm, err, errlen)) < 0 ||
	    (rc = setup_fw_cfg(vm, err, errlen)) < 0)
		return rc;
	rc = kvm_open(&vm->kvm, "/dev/kvm");
	if (rc < 0) {
		snprintf(err, errlen, "cannot use /dev/kvm: %s", strerror(-rc));
		return rc;
	}
	if (vm->ncpus > vm->kvm.max_vcpus) {
		snprintf(err, errlen, "%u vCPUs requested, KVM supports at most %u", vm->ncpus,
			 vm->kvm.max_vcpus);
		return -EINVAL;
	}
	struct linux_entry entry;
	uint64_t rsdp = 0;
	if ((rc = setup_memory(vm, err, errlen)) < 0)
		return rc;
	rtc_init(&vm->rtc, localtime, vm->lowmem, vm->highmem);
	if (!strictmsr && (rc = kvm_enable_user_msr_exits(&vm->kvm)) < 0) {
		snprintf(err, errlen, "-w: this KVM cannot pass unknown MSRs to userspace: %s",
			 strerror(-rc));
		return rc;
	}
	rc = kvm_setup_platform(&vm->kvm);
	if (rc < 0) {
		snprintf(err, errlen, "cannot create the in-kernel interrupt controllers: %s",
			 strerror(-rc));
		return rc;
	}
	/* Devices attach their descriptors (COM input, virtqueue kicks) to the loop as they are made. */
	rc = evloop_new(&vm->loop, false);
	if (rc < 0) {
		snprintf(err, errlen, "cannot create the event loop: %s", strerror(-rc));
		return rc;
	}
	if (config_get_u64(vm->cfg, "virtio.poll_us", VM_POLL_US_DEFAULT, &vm->poll_us) < 0 ||
	    vm->poll_us > VM_POLL_US_MAX) {
		snprintf(err, errlen, "virtio.poll_us=%s: expected 0 to %u (microseconds)",
			 config_get(vm->cfg, "virtio.poll_us"), VM_POLL_US_MAX);
		return -EINVAL;
	}
	evloop_set_poll_max(vm->loop, vm->poll_us * 1000);
	if ((rc = setup_platform_io(vm, err, errlen)) < 0 || (rc = setup_pci(vm, err, errlen)) < 0 ||
	    (rc = setup_acpi(vm, &rsdp, err, errlen)) < 0 ||
	    (rc = setup_smbios(vm, err, errlen)) < 0 ||
	    (rc = load_kernel(vm, rsdp, &entry, err, errlen)) < 0 ||
	    (rc = setup_vcpus(vm, &entry, err, errlen)) < 0 ||
	    (rc = gdb_server_create(vm, err, errlen)) < 0)
		return rc;
	return 0;
}
