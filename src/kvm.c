// SPDX-License-Identifier: BSD-2-Clause
#include "khyve/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* Above the 4 GiB-16 MiB BIOS area, below the LAPIC: where KVM wants its TSS pages. */
#define KVM_TSS_GPA 0xfffbd000ull
#define KVM_IDENTITY_MAP_GPA 0xfffbc000ull
#define KVM_CPUID_MAX_ENTRIES 256
#define IOAPIC_PINS 24

static int xioctl(int fd, unsigned long req, void *arg)
{
	int rc;
	do {
		rc = ioctl(fd, req, arg);
	} while (rc < 0 && errno == EINTR && req != KVM_RUN);
	return rc < 0 ? -errno : rc;
}

int kvm_open(struct kvm *kvm, const char *dev)
{
	memset(kvm, 0, sizeof(*kvm));
	kvm->vm_fd = -1;
	int rc = -pthread_mutex_init(&kvm->route_lock, NULL);
	if (rc < 0) {
		kvm->sys_fd = -1;
		return rc;
	}
	kvm->route_lock_ready = true;
	kvm->sys_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (kvm->sys_fd < 0) {
		rc = -errno;
		goto fail;
	}
	rc = xioctl(kvm->sys_fd, KVM_GET_API_VERSION, NULL);
	if (rc != KVM_API_VERSION) {
		rc = rc < 0 ? rc : -ENOTSUP;
		goto fail;
	}
	rc = xioctl(kvm->sys_fd, KVM_CHECK_EXTENSION, (void *)(uintptr_t)KVM_CAP_MAX_VCPUS);
	kvm->max_vcpus = rc > 0 ? (unsigned)rc : 1;
	rc = xioctl(kvm->sys_fd, KVM_CHECK_EXTENSION, (void *)(uintptr_t)KVM_CAP_IRQ_ROUTING);
	kvm->max_gsi = rc > 0 ? (unsigned)rc : 0;
	rc = xioctl(kvm->sys_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (rc < 0)
		goto fail;
	kvm->run_size = rc;
	kvm->supported_cpuid = calloc(1, sizeof(struct kvm_cpuid2) +
						 KVM_CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2));
	if (kvm->supported_cpuid == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	kvm->supported_cpuid->nent = KVM_CPUID_MAX_ENTRIES;
	rc = xioctl(kvm->sys_fd, KVM_GET_SUPPORTED_CPUID, kvm->supported_cpuid);
	if (rc < 0)
		goto fail;
	/*
	 * The in-kernel local APIC's TSC-deadline mode is announced by a
	 * capability, not by KVM_GET_SUPPORTED_CPUID. Without the CPUID bit a
	 * Linux guest calibrates its APIC timer against the PIT at boot (a
	 * tenth of a second and more) and programs it through APIC registers.
	 */
	if (xioctl(kvm->sys_fd, KVM_CHECK_EXTENSION,
		   (void *)(uintptr_t)KVM_CAP_TSC_DEADLINE_TIMER) > 0)
		kvm_cpuid_add_tsc_deadline(kvm->supported_cpuid);
	rc = xioctl(kvm->sys_fd, KVM_CREATE_VM, NULL);
	if (rc < 0)
		goto fail;
	kvm->vm_fd = rc;
	return 0;
fail:
	kvm_close(kvm);
	return rc;
}

void kvm_cpuid_add_tsc_deadline(struct kvm_cpuid2 *cpuid)
{
	for (uint32_t i = 0; i < cpuid->nent; i++)
		if (cpuid->entries[i].function == 1)
			cpuid->entries[i].ecx |= KVM_CPUID1_ECX_TSC_DEADLINE;
}

void kvm_close(struct kvm *kvm)
{
	if (kvm->vm_fd >= 0)
		close(kvm->vm_fd);
	if (kvm->sys_fd >= 0)
		close(kvm->sys_fd);
	free(kvm->supported_cpuid);
	kvm->supported_cpuid = NULL;
	kvm->vm_fd = kvm->sys_fd = -1;
	free(kvm->routes);
	kvm->routes = NULL;
	kvm->nroutes = kvm->routes_cap = 0;
	if (kvm->route_lock_ready)
		pthread_mutex_destroy(&kvm->route_lock);
	kvm->route_lock_ready = false;
}

/* Hand the whole table to KVM. route_lock held. */
static int routes_commit(struct kvm *kvm)
{
	struct kvm_irq_routing *r =
		calloc(1, sizeof(*r) + kvm->nroutes * sizeof(struct kvm_irq_routing_entry));
	if (r == NULL)
		return -ENOMEM;
	r->nr = kvm->nroutes;
	memcpy(r->entries, kvm->routes, kvm->nroutes * sizeof(r->entries[0]));
	int rc = xioctl(kvm->vm_fd, KVM_SET_GSI_ROUTING, r);
	free(r);
	return rc < 0 ? rc : 0;
}

/* Room for one more entry. route_lock held. */
static int routes_reserve(struct kvm *kvm, unsigned n)
{
	if (n <= kvm->routes_cap)
		return 0;
	unsigned cap = kvm->routes_cap ? kvm->routes_cap : 64;
	while (cap < n)
		cap *= 2;
	struct kvm_irq_routing_entry *e = realloc(kvm->routes, cap * sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	kvm->routes = e;
	kvm->routes_cap = cap;
	return 0;
}

/* Index of the MSI route at gsi, or -1. route_lock held. */
static int msi_route_find(const struct kvm *kvm, unsigned gsi)
{
	if (gsi < KVM_MSI_GSI_BASE)
		return -1;
	for (unsigned i = 0; i < kvm->nroutes; i++)
		if (kvm->routes[i].gsi == gsi && kvm->routes[i].type == KVM_IRQ_ROUTING_MSI)
			return (int)i;
	return -1;
}

static struct kvm_irq_routing_entry msi_entry(unsigned gsi, uint64_t addr, uint32_t data)
{
	return (struct kvm_irq_routing_entry){
		.gsi = gsi,
		.type = KVM_IRQ_ROUTING_MSI,
		.u.msi = {.address_lo = (uint32_t)addr,
			  .address_hi = (uint32_t)(addr >> 32),
			  .data = data},
	};
}

int kvm_msi_route_add(struct kvm *kvm, uint64_t addr, uint32_t data)
{
	if (kvm->max_gsi <= KVM_MSI_GSI_BASE)
		return -ENOSPC;
	unsigned span = kvm->max_gsi - KVM_MSI_GSI_BASE;
	uint8_t *used = calloc(span, 1);
	if (used == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&kvm->route_lock);
	for (unsigned i = 0; i < kvm->nroutes; i++) {
		unsigned g = kvm->routes[i].gsi;
		if (g >= KVM_MSI_GSI_BASE && g < kvm->max_gsi)
			used[g - KVM_MSI_GSI_BASE] = 1;
	}
	unsigned k = 0;
	while (k < span && used[k])
		k++;
	int rc = k == span ? -ENOSPC : routes_reserve(kvm, kvm->nroutes + 1);
	if (rc == 0) {
		kvm->routes[kvm->nroutes++] = msi_entry(KVM_MSI_GSI_BASE + k, addr, data);
		rc = routes_commit(kvm);
		if (rc < 0)
			kvm->nroutes--;
		else
			rc = (int)(KVM_MSI_GSI_BASE + k);
	}
	pthread_mutex_unlock(&kvm->route_lock);
	free(used);
	return rc;
}

int kvm_msi_route_update(struct kvm *kvm, unsigned gsi, uint64_t addr, uint32_t data)
{
	pthread_mutex_lock(&kvm->route_lock);
	int i = msi_route_find(kvm, gsi), rc = -ENOENT;
	if (i >= 0) {
		struct kvm_irq_routing_entry old = kvm->routes[i];
		kvm->routes[i] = msi_entry(gsi, addr, data);
		rc = routes_commit(kvm);
		if (rc < 0)
			kvm->routes[i] = old;
	}
	pthread_mutex_unlock(&kvm->route_lock);
	return rc;
}

int kvm_msi_route_del(struct kvm *kvm, unsigned gsi)
{
	pthread_mutex_lock(&kvm->route_lock);
	int i = msi_route_find(kvm, gsi), rc = -ENOENT;
	if (i >= 0) {
		struct kvm_irq_routing_entry old = kvm->routes[i];
		kvm->routes[i] = kvm->routes[--kvm->nroutes]; /* order does not matter to KVM */
		rc = routes_commit(kvm);
		if (rc < 0) { /* KVM still has it: keep it here too */
			kvm->routes[kvm->nroutes++] = kvm->routes[i];
			kvm->routes[i] = old;
		}
	}
	pthread_mutex_unlock(&kvm->route_lock);
	return rc;
}

int kvm_signal_msi(struct kvm *kvm, uint64_t addr, uint32_t data)
{
	struct kvm_msi m = {
		.address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32), .data = data};
	/* > 0 delivered, 0 blocked by the guest (e.g. its APIC masks it): both fine */
	int rc = xioctl(kvm->vm_fd, KVM_SIGNAL_MSI, &m);
	return rc < 0 ? rc : 0;
}

int kvm_irqfd(struct kvm *kvm, int fd, unsigned gsi, bool assign)
{
	struct kvm_irqfd f = {
		.fd = (uint32_t)fd, .gsi = gsi, .flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN};
	int rc = xioctl(kvm->vm_fd, KVM_IRQFD, &f);
	return rc < 0 ? rc : 0;
}

int kvm_ioeventfd(struct kvm *kvm, uint64_t addr, unsigned len, bool pio, bool match,
		  uint64_t datamatch, int fd, bool assign)
{
	/* len 0 (any length) only for MMIO without a data match, as KVM allows */
	if (len != 1 && len != 2 && len != 4 && len != 8 && !(len == 0 && !pio && !match))
		return -EINVAL;
	struct kvm_ioeventfd e = {
		.datamatch = match ? datamatch : 0,
		.addr = addr,
		.len = len,
		.fd = fd,
		.flags = (pio ? KVM_IOEVENTFD_FLAG_PIO : 0) |
			 (match ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0) |
			 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};
	int rc = xioctl(kvm->vm_fd, KVM_IOEVENTFD, &e);
	return rc < 0 ? rc : 0;
}

/*
 * GSI routing of a PC: GSIs 0-15 reach the 8259 pair (but for the cascade,
 * GSI 2) and the IOAPIC; the PIT's GSI 0 lands on IOAPIC pin 2, as the MADT
 * interrupt source override tells the guest.
 */
static int set_pc_gsi_routing(struct kvm *kvm)
{
	unsigned n = 0;
	pthread_mutex_lock(&kvm->route_lock);
	for (unsigned i = 0; i < kvm->nroutes; i++) /* MSI routes stay */
		if (kvm->routes[i].type == KVM_IRQ_ROUTING_MSI)
			kvm->routes[n++] = kvm->routes[i];
	kvm->nroutes = n;
	int rc = routes_reserve(kvm, n + 16 + IOAPIC_PINS);
	if (rc < 0)
		goto out;
	struct kvm_irq_routing_entry *e = kvm->routes;
	for (unsigned gsi = 0; gsi < 16; gsi++) {
		if (gsi == 2)
			continue;
		e[n++] = (struct kvm_irq_routing_entry){
			.gsi = gsi,
			.type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = {.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
				      .pin = gsi % 8},
		};
	}
	for (unsigned gsi = 0; gsi < IOAPIC_PINS; gsi++) {
		if (gsi == 2)
			continue;
		e[n++] = (struct kvm_irq_routing_entry){
			.gsi = gsi,
			.type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = {.irqchip = KVM_IRQCHIP_IOAPIC, .pin = gsi == 0 ? 2 : gsi},
		};
	}
	kvm->nroutes = n;
	rc = routes_commit(kvm);
out:
	pthread_mutex_unlock(&kvm->route_lock);
	return rc;
}

int kvm_setup_platform(struct kvm *kvm)
{
	int rc = xioctl(kvm->vm_fd, KVM_SET_TSS_ADDR, (void *)(uintptr_t)KVM_TSS_GPA);
	if (rc < 0)
		return rc;
	uint64_t idmap = KVM_IDENTITY_MAP_GPA;
	rc = xioctl(kvm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap);
	if (rc < 0)
		return rc;
	rc = xioctl(kvm->vm_fd, KVM_CREATE_IRQCHIP, NULL);
	if (rc < 0)
		return rc;
	struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
	rc = xioctl(kvm->vm_fd, KVM_CREATE_PIT2, &pit);
	if (rc < 0)
		return rc;
	return set_pc_gsi_routing(kvm);
}

int kvm_coalesce_pio(struct kvm *kvm, uint16_t port, uint32_t size)
{
	if (xioctl(kvm->sys_fd, KVM_CHECK_EXTENSION, (void *)(uintptr_t)KVM_CAP_COALESCED_PIO) <= 0)
		return -ENOTSUP;
	int page = xioctl(kvm->sys_fd, KVM_CHECK_EXTENSION, (void *)(uintptr_t)KVM_CAP_COALESCED_MMIO);
	if (page <= 0 || (long)page * 4096 >= kvm->run_size)
		return -ENOTSUP;
	struct kvm_coalesced_mmio_zone z = {.addr = port, .size = size, .pio = 1};
	int rc = xioctl(kvm->vm_fd, KVM_REGISTER_COALESCED_MMIO, &z);
	if (rc < 0)
		return rc;
	kvm->coalesced_page = page;
	return 0;
}

struct kvm_coalesced_mmio_ring *kvm_vcpu_coalesced_ring(struct kvm *kvm, struct kvm_vcpu_fd *v)
{
	if (kvm->coalesced_page == 0 || v->run == NULL)
		return NULL;
	return (struct kvm_coalesced_mmio_ring *)((uint8_t *)v->run + kvm->coalesced_page * 4096);
}

int kvm_enable_user_msr_exits(struct kvm *kvm)
{
	struct kvm_enable_cap cap = {.cap = KVM_CAP_X86_USER_SPACE_MSR,
				     .args = {KVM_MSR_EXIT_REASON_UNKNOWN}};
	int rc = xioctl(kvm->vm_fd, KVM_ENABLE_CAP, &cap);
	return rc < 0 ? rc : 0;
}

int kvm_set_memory(struct kvm *kvm, uint32_t slot, uint64_t gpa, uint64_t size, void *host)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)host,
	};
	int rc = xioctl(kvm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r);
	return rc < 0 ? rc : 0;
}

int kvm_irq_line(struct kvm *kvm, uint32_t gsi, int level)
{
	struct kvm_irq_level l = {.irq = gsi, .level = (uint32_t)level};
	int rc = xioctl(kvm->vm_fd, KVM_IRQ_LINE, &l);
	return rc < 0 ? rc : 0;
}

int kvm_vcpu_create(struct kvm *kvm, unsigned id, struct kvm_vcpu_fd *v)
{
	int fd = xioctl(kvm->vm_fd, KVM_CREATE_VCPU, (void *)(uintptr_t)id);
	if (fd < 0)
		return fd;
	void *run = mmap(NULL, (size_t)kvm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (run == MAP_FAILED) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	v->fd = fd;
	v->run = run;
	return 0;
}

void kvm_vcpu_destroy(struct kvm *kvm, struct kvm_vcpu_fd *v)
{
	if (v->run)
		munmap(v->run, (size_t)kvm->run_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}

int kvm_vcpu_run(struct kvm_vcpu_fd *v)
{
	return xioctl(v->fd, KVM_RUN, NULL);
}

int kvm_vcpu_set_cpuid(struct kvm_vcpu_fd *v, const struct kvm_cpuid2 *cpuid)
{
	return xioctl(v->fd, KVM_SET_CPUID2, (void *)cpuid) < 0 ? -errno : 0;
}

#define VCPU_IOCTL(name, req, type)                                                                \
	int name(struct kvm_vcpu_fd *v, type arg)                                                  \
	{                                                                                          \
		int rc = xioctl(v->fd, req, (void *)arg);                                          \
		return rc < 0 ? rc : 0;                                                            \
	}
VCPU_IOCTL(kvm_vcpu_get_regs, KVM_GET_REGS, struct kvm_regs *)
VCPU_IOCTL(kvm_vcpu_set_regs, KVM_SET_REGS, const struct kvm_regs *)
VCPU_IOCTL(kvm_vcpu_get_sregs, KVM_GET_SREGS, struct kvm_sregs *)
VCPU_IOCTL(kvm_vcpu_set_sregs, KVM_SET_SREGS, const struct kvm_sregs *)
VCPU_IOCTL(kvm_vcpu_set_fpu, KVM_SET_FPU, const struct kvm_fpu *)
VCPU_IOCTL(kvm_vcpu_get_fpu, KVM_GET_FPU, struct kvm_fpu *)

int kvm_vcpu_translate(struct kvm_vcpu_fd *v, uint64_t gva, uint64_t *gpa)
{
	struct kvm_translation t = {.linear_address = gva};
	int rc = xioctl(v->fd, KVM_TRANSLATE, &t);
	if (rc < 0)
		return rc;
	if (!t.valid)
		return -EFAULT;
	*gpa = t.physical_address;
	return 0;
}

int kvm_vcpu_set_guest_debug(struct kvm_vcpu_fd *v, uint32_t control, const uint64_t *debugreg)
{
	struct kvm_guest_debug d = {.control = control};
	if (debugreg)
		memcpy(d.arch.debugreg, debugreg, sizeof(d.arch.debugreg));
	int rc = xioctl(v->fd, KVM_SET_GUEST_DEBUG, &d);
	return rc < 0 ? rc : 0;
}

uint32_t kvm_guest_debug_caps(struct kvm *kvm)
{
	/* Newer kernels list the KVM_GUESTDBG_* flags they take; older ones take the basic set. */
	int rc = xioctl(kvm->sys_fd, KVM_CHECK_EXTENSION, (void *)(uintptr_t)KVM_CAP_SET_GUEST_DEBUG2);
	return rc > 0 ? (uint32_t)rc : 0;
}

int kvm_vcpu_get_msr(struct kvm_vcpu_fd *v, uint32_t index, uint64_t *value)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = {.h = {.nmsrs = 1}, .e = {.index = index}};
	int rc = xioctl(v->fd, KVM_GET_MSRS, &m);
	if (rc < 0)
		return rc;
	if (rc != 1)
		return -EINVAL;
	*value = m.e.data;
	return 0;
}

int kvm_vcpu_set_msrs(struct kvm_vcpu_fd *v, const struct kvm_msr_entry *e, unsigned n)
{
	struct kvm_msrs *m = calloc(1, sizeof(*m) + n * sizeof(*e));
	if (m == NULL)
		return -ENOMEM;
	m->nmsrs = n;
	memcpy(m->entries, e, n * sizeof(*e));
	int rc = xioctl(v->fd, KVM_SET_MSRS, m);
	free(m);
	if (rc < 0)
		return rc;
	return (unsigned)rc == n ? 0 : -EINVAL;
}

int kvm_vcpu_set_mp_state(struct kvm_vcpu_fd *v, uint32_t state)
{
	struct kvm_mp_state mp = {.mp_state = state};
	int rc = xioctl(v->fd, KVM_SET_MP_STATE, &mp);
	return rc < 0 ? rc : 0;
}

int kvm_vcpu_get_mp_state(struct kvm_vcpu_fd *v, uint32_t *state)
{
	struct kvm_mp_state mp;
	int rc = xioctl(v->fd, KVM_GET_MP_STATE, &mp);
	if (rc < 0)
		return rc;
	*state = mp.mp_state;
	return 0;
}

#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_MODE_EXTINT 0x7
#define APIC_MODE_NMI 0x4

static void lvt_set_mode(struct kvm_lapic_state *l, unsigned reg, uint32_t mode)
{
	uint32_t val;
	memcpy(&val, &l->regs[reg], 4);
	val = (val & ~0x700u) | (mode << 8);
	memcpy(&l->regs[reg], &val, 4);
}

int kvm_vcpu_set_lint(struct kvm_vcpu_fd *v)
{
	struct kvm_lapic_state l;
	int rc = xioctl(v->fd, KVM_GET_LAPIC, &l);
	if (rc < 0)
		return rc;
	lvt_set_mode(&l, APIC_LVT0, APIC_MODE_EXTINT);
	lvt_set_mode(&l, APIC_LVT1, APIC_MODE_NMI);
	rc = xioctl(v->fd, KVM_SET_LAPIC, &l);
	return rc < 0 ? rc : 0;
}
