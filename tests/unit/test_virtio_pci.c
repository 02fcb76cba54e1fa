// SPDX-License-Identifier: BSD-2-Clause
/*
 * Transitional virtio-pci on fake guest memory: identity, capabilities,
 * the legacy and the modern register files, feature negotiation,
 * interrupts (INTx, MSI-X), DEVICE_NEEDS_RESET, and virtio-rnd requests.
 */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "fakemem.h"
#include "khyve/virtio_balloon.h"
#include "khyve/virtio_pci.h"
#include "khyve/virtio_rnd.h"

#define SLOT 4
#define RAM_LO (1u << 20)
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define BUF 0x10000
#define QSZ 16

static struct fakemem fm;
static struct pci_root root;
static struct pci_dev *dev;
static struct virtio_dev *vd;
static struct virtio_pci *vp;
static unsigned msi_count, intx_level, intx_changes;
static uint32_t msi_data;

static int fake_msi(void *arg, uint64_t addr, uint32_t data)
{
	(void)arg;
	(void)addr;
	msi_count++;
	msi_data = data;
	return 0;
}

static void fake_intx(void *arg, unsigned gsi, int level)
{
	(void)arg;
	(void)gsi;
	intx_level = (unsigned)level;
	intx_changes++;
}

static bool is_balloon;

/* A virtio-rnd (or, with is_balloon, a virtio-balloon asking for 8 pages) at SLOT. */
static void make(enum virtio_transport t, bool msix)
{
	ck_assert_int_eq(fakemem_init(&fm, RAM_LO, 1ull << 32, 1u << 20), 0);
	pci_root_init(&root);
	root.io_base = root.io_next = 0xd000;
	root.io_limit = 0x10000;
	root.mem32_base = root.mem32_next = 0xc0000000;
	root.mem32_limit = 0xe0000000;
	root.mem64_base = root.mem64_next = 1ull << 36;
	root.mem64_limit = 1ull << 37;
	root.msi_send = fake_msi;
	root.intx_set = fake_intx;
	msi_count = intx_level = intx_changes = 0;
	dev = pci_dev_add(&root, SLOT, 0, is_balloon ? &virtio_balloon_emu : &virtio_rnd_emu);
	ck_assert_ptr_nonnull(dev);
	vd = is_balloon ? vtballoon_new(&fm.gmem, 8, false, false) : vtrnd_new(&fm.gmem);
	ck_assert_ptr_nonnull(vd);
	vp = is_balloon ? vtballoon_pci(vd) : vtrnd_pci(vd);
	ck_assert_int_eq(virtio_pci_setup(vp, dev, vd, t, msix, NULL), 0);
}

static void teardown(void)
{
	if (is_balloon)
		vtballoon_free(vd);
	else
		vtrnd_free(vd);
	pci_root_fini(&root);
	fakemem_fini(&fm);
}

static uint32_t cfg_rd(unsigned off, unsigned size)
{
	return pci_cfg_read(&root, 0, SLOT, 0, off, size);
}

static void cfg_wr(unsigned off, unsigned size, uint32_t v)
{
	pci_cfg_write(&root, 0, SLOT, 0, off, size, v);
}

static uint64_t bar_rd(unsigned bar, uint64_t off, unsigned size)
{
	uint64_t v = 0;
	dev->bar[bar].fn(dev->bar[bar].opaque, off, (uint8_t *)&v, size, false);
	return v;
}

static void bar_wr(unsigned bar, uint64_t off, unsigned size, uint64_t v)
{
	dev->bar[bar].fn(dev->bar[bar].opaque, off, (uint8_t *)&v, size, true);
}

#define M(off, size) bar_rd(VIRTIO_PCI_MODERN_BAR, (off), (size))
#define MW(off, size, v) bar_wr(VIRTIO_PCI_MODERN_BAR, (off), (size), (v))
#define L(off, size) bar_rd(VIRTIO_PCI_LEGACY_BAR, (off), (size))
#define LW(off, size, v) bar_wr(VIRTIO_PCI_LEGACY_BAR, (off), (size), (v))

/* Offset of the first capability with this ID (and vendor cfg_type when ID is 9), 0 if none. */
static unsigned find_cap(uint8_t id, uint8_t type)
{
	unsigned off = cfg_rd(PCI_CAPABILITY_LIST, 1), n = 0;
	while (off && n++ < 48) {
		if (cfg_rd(off, 1) == id && (id != PCI_CAP_ID_VNDR || cfg_rd(off + 3, 1) == type))
			return off;
		off = cfg_rd(off + 1, 1);
	}
	return 0;
}

static void g16(uint64_t gpa, uint16_t v)
{
	gmem_write(&fm.gmem, gpa, &v, 2);
}

static uint16_t r16(uint64_t gpa)
{
	uint16_t v = 0;
	gmem_read(&fm.gmem, gpa, &v, 2);
	return v;
}

static uint32_t r32(uint64_t gpa)
{
	uint32_t v = 0;
	gmem_read(&fm.gmem, gpa, &v, 4);
	return v;
}

static void put_desc(uint64_t desc, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	uint8_t d[16];
	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
	gmem_write(&fm.gmem, desc + 16ull * i, d, 16);
}

/* Offer head on the avail ring at slot idx and publish idx + 1. */
static void offer(uint64_t avail, uint16_t idx, uint16_t head)
{
	g16(avail + 4 + 2u * (idx % QSZ), head);
	g16(avail + 2, (uint16_t)(idx + 1));
}

/* Modern driver bring-up to DRIVER_OK with queue 0 at DESC/AVAIL/USED. */
static void modern_up(void)
{
	MW(VIRTIO_COMMON_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	MW(VIRTIO_COMMON_GFSELECT, 4, 1);
	MW(VIRTIO_COMMON_GF, 4, 1); /* VERSION_1 */
	MW(VIRTIO_COMMON_STATUS, 1, 0x0b);
	ck_assert_uint_eq(M(VIRTIO_COMMON_STATUS, 1), 0x0b);
	MW(VIRTIO_COMMON_Q_SELECT, 2, 0);
	MW(VIRTIO_COMMON_Q_SIZE, 2, QSZ);
	MW(VIRTIO_COMMON_Q_DESC, 8, DESC);
	MW(VIRTIO_COMMON_Q_AVAIL, 4, AVAIL);
	MW(VIRTIO_COMMON_Q_AVAIL + 4, 4, 0);
	MW(VIRTIO_COMMON_Q_USED, 8, USED);
	MW(VIRTIO_COMMON_Q_ENABLE, 2, 1);
	ck_assert_uint_eq(M(VIRTIO_COMMON_Q_ENABLE, 2), 1);
	MW(VIRTIO_COMMON_STATUS, 1, 0x0f);
}

static void kick_modern(unsigned q)
{
	MW(VIRTIO_MODERN_NOTIFY + q * VIRTIO_MODERN_NOTIFY_MULT, 2, q);
}

START_TEST(transitional_identity)
{
	make(VIRTIO_TRANSITIONAL, true);
	ck_assert_uint_eq(cfg_rd(PCI_VENDOR_ID, 2), 0x1af4);
	ck_assert_uint_eq(cfg_rd(PCI_DEVICE_ID, 2), 0x1005);
	ck_assert_uint_eq(cfg_rd(PCI_REVISION_ID, 1), 0);
	ck_assert_uint_eq(cfg_rd(PCI_SUBSYSTEM_ID, 2), VIRTIO_ID_RNG);
	ck_assert_uint_eq(cfg_rd(PCI_INTERRUPT_PIN, 1), 1);
	ck_assert_int_eq(dev->bar[0].type, PCI_BAR_IO);
	ck_assert_int_eq(dev->bar[1].type, PCI_BAR_MEM32);
	ck_assert_int_eq(dev->bar[4].type, PCI_BAR_MEM64);
	ck_assert_uint_eq(dev->bar[4].size, VIRTIO_MODERN_BAR_SIZE);
	unsigned types[] = {VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_CAP_NOTIFY_CFG,
			    VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_CAP_DEVICE_CFG,
			    VIRTIO_PCI_CAP_PCI_CFG};
	for (unsigned i = 0; i < 5; i++) {
		unsigned c = find_cap(PCI_CAP_ID_VNDR, (uint8_t)types[i]);
		ck_assert_uint_ne(c, 0);
		if (types[i] != VIRTIO_PCI_CAP_PCI_CFG)
			ck_assert_uint_eq(cfg_rd(c + 4, 1), VIRTIO_PCI_MODERN_BAR);
	}
	unsigned n = find_cap(PCI_CAP_ID_VNDR, VIRTIO_PCI_CAP_NOTIFY_CFG);
	ck_assert_uint_eq(cfg_rd(n + 8, 4), VIRTIO_MODERN_NOTIFY);
	ck_assert_uint_eq(cfg_rd(n + 16, 4), VIRTIO_MODERN_NOTIFY_MULT);
	unsigned x = find_cap(PCI_CAP_ID_MSIX, 0);
	ck_assert_uint_ne(x, 0);
	ck_assert_uint_eq((cfg_rd(x + 2, 2) & 0x7ff) + 1, 2); /* one queue + config */
}
END_TEST

START_TEST(modern_only_and_legacy_only)
{
	make(VIRTIO_MODERN, true);
	ck_assert_uint_eq(cfg_rd(PCI_DEVICE_ID, 2), 0x1040 + VIRTIO_ID_RNG);
	ck_assert_uint_eq(cfg_rd(PCI_REVISION_ID, 1), 1);
	ck_assert_int_eq(dev->bar[0].type, PCI_BAR_NONE);
	ck_assert_uint_ne(find_cap(PCI_CAP_ID_VNDR, VIRTIO_PCI_CAP_COMMON_CFG), 0);
	teardown();
	make(VIRTIO_LEGACY, false);
	ck_assert_uint_eq(cfg_rd(PCI_DEVICE_ID, 2), 0x1005);
	ck_assert_int_eq(dev->bar[0].type, PCI_BAR_IO);
	ck_assert_int_eq(dev->bar[4].type, PCI_BAR_NONE);
	ck_assert_uint_eq(find_cap(PCI_CAP_ID_VNDR, VIRTIO_PCI_CAP_COMMON_CFG), 0);
	ck_assert_uint_eq(find_cap(PCI_CAP_ID_MSIX, 0), 0);
	ck_assert_uint_ne(find_cap(PCI_CAP_ID_MSI, 0), 0); /* -W */
}
END_TEST

START_TEST(modern_features)
{
	make(VIRTIO_TRANSITIONAL, true);
	MW(VIRTIO_COMMON_DFSELECT, 4, 1);
	ck_assert_uint_eq(M(VIRTIO_COMMON_DF, 4) & 1, 1); /* VERSION_1 */
	MW(VIRTIO_COMMON_DFSELECT, 4, 0);
	ck_assert_uint_ne(M(VIRTIO_COMMON_DF, 4) & 1u << VIRTIO_RING_F_EVENT_IDX, 0);
	MW(VIRTIO_COMMON_STATUS, 1, 3);
	/* Without VERSION_1, FEATURES_OK does not stick. */
	MW(VIRTIO_COMMON_STATUS, 1, 0x0b);
	ck_assert_uint_eq(M(VIRTIO_COMMON_STATUS, 1), 3);
	/* A feature that was not offered: refused too. */
	MW(VIRTIO_COMMON_GFSELECT, 4, 1);
	MW(VIRTIO_COMMON_GF, 4, 1 | 1u << 10);
	MW(VIRTIO_COMMON_STATUS, 1, 0x0b);
	ck_assert_uint_eq(M(VIRTIO_COMMON_STATUS, 1), 3);
	MW(VIRTIO_COMMON_GF, 4, 1);
	MW(VIRTIO_COMMON_STATUS, 1, 0x0b);
	ck_assert_uint_eq(M(VIRTIO_COMMON_STATUS, 1), 0x0b);
	/* Features are fixed after FEATURES_OK. */
	MW(VIRTIO_COMMON_GF, 4, 0);
	ck_assert_uint_eq(M(VIRTIO_COMMON_GF, 4), 1);
	/* Reset clears status and features. */
	MW(VIRTIO_COMMON_STATUS, 1, 0);
	ck_assert_uint_eq(M(VIRTIO_COMMON_STATUS, 1), 0);
	ck_assert_uint_eq(M(VIRTIO_COMMON_GF, 4), 0);
}
END_TEST

START_TEST(modern_queue_registers_hostile)
{
	make(VIRTIO_TRANSITIONAL, true);
	ck_assert_uint_eq(M(VIRTIO_COMMON_NUMQ, 2), 1);
	ck_assert_uint_eq(M(VIRTIO_COMMON_Q_SIZE, 2), 64);
	/* Q1: zero, not a power of two, above the maximum: ignored. */
	MW(VIRTIO_COMMON_Q_SIZE, 2, 0);
	MW(VIRTIO_COMMON_Q_SIZE, 2, 24);
	MW(VIRTIO_COMMON_Q_SIZE, 2, 128);
	ck_assert_uint_eq(M(VIRTIO_COMMON_Q_SIZE, 2), 64);
	MW(VIRTIO_COMMON_Q_SIZE, 2, 16);
	ck_assert_uint_eq(M(VIRTIO_COMMON_Q_SIZE, 2), 16);
	/* Q2: a queue that does not exist reads 0 and takes no writes. */
	MW(VIRTIO_COMMON_Q_SELECT, 2, 0xffff);
	ck_assert_uint_eq(M(VIRTIO_COMMON_Q_SIZE, 2), 0);
	MW(VIRTIO_COMMON_Q_ENABLE, 2, 1);
	ck_assert_uint_eq(M(VIRTIO_COMMON_Q_ENABLE, 2), 0);
	ck_assert_uint_eq(M(VIRTIO_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	kick_modern(0xfff); /* beyond the notify area: nothing */
	MW(VIRTIO_COMMON_Q_SELECT, 2, 0);
	/* Q3: wrong widths are ignored and read 0. */
	MW(VIRTIO_COMMON_Q_SIZE, 4, 32);
	ck_assert_uint_eq(M(VIRTIO_COMMON_Q_SIZE, 2), 16);
	ck_assert_uint_eq(M(VIRTIO_COMMON_Q_SIZE, 1), 0);
	ck_assert_uint_eq(M(VIRTIO_COMMON_NUMQ, 4), 0);
	ck_assert_uint_eq(M(VIRTIO_COMMON_STATUS, 2), 0);
	ck_assert_uint_eq(M(VIRTIO_MODERN_DEVICE + 0x100, 4), 0); /* no device config at all */
	/* Q4: a vector beyond the table reads back as NO_VECTOR. */
	MW(VIRTIO_COMMON_Q_MSIX, 2, 7);
	ck_assert_uint_eq(M(VIRTIO_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	MW(VIRTIO_COMMON_Q_MSIX, 2, 1);
	ck_assert_uint_eq(M(VIRTIO_COMMON_Q_MSIX, 2), 1);
	MW(VIRTIO_COMMON_MSIX, 2, 2);
	ck_assert_uint_eq(M(VIRTIO_COMMON_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	/* 64-bit addresses in two halves, fixed once the queue is enabled. */
	MW(VIRTIO_COMMON_Q_DESC, 4, 0x1000);
	MW(VIRTIO_COMMON_Q_DESC + 4, 4, 0x2);
	ck_assert_uint_eq(M(VIRTIO_COMMON_Q_DESC, 8), 0x200001000ull);
}
END_TEST

/* An enabled queue whose rings are outside RAM: NEEDS_RESET, not a crash. */
START_TEST(queue_outside_ram_needs_reset)
{
	make(VIRTIO_TRANSITIONAL, true);
	MW(VIRTIO_COMMON_STATUS, 1, 3);
	MW(VIRTIO_COMMON_GFSELECT, 4, 1);
	MW(VIRTIO_COMMON_GF, 4, 1);
	MW(VIRTIO_COMMON_STATUS, 1, 0x0b);
	MW(VIRTIO_COMMON_Q_DESC, 8, RAM_LO - 16); /* spills into the hole */
	MW(VIRTIO_COMMON_Q_AVAIL, 8, AVAIL);
	MW(VIRTIO_COMMON_Q_USED, 8, USED);
	MW(VIRTIO_COMMON_Q_ENABLE, 2, 1);
	ck_assert_uint_eq(M(VIRTIO_COMMON_Q_ENABLE, 2), 0);
	ck_assert_uint_ne(M(VIRTIO_COMMON_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET, 0);
	MW(VIRTIO_COMMON_STATUS, 1, 0);
	ck_assert_uint_eq(M(VIRTIO_COMMON_STATUS, 1), 0);
}
END_TEST

START_TEST(modern_rnd_request_intx)
{
	make(VIRTIO_TRANSITIONAL, true);
	modern_up();
	uint8_t zero[256] = {0};
	gmem_write(&fm.gmem, BUF, zero, sizeof(zero));
	put_desc(DESC, 0, BUF, 100, 2 /* WRITE */, 0);
	offer(AVAIL, 0, 0);
	kick_modern(0);
	ck_assert_uint_eq(r16(USED + 2), 1);
	ck_assert_uint_eq(r32(USED + 4), 0);   /* id */
	ck_assert_uint_eq(r32(USED + 8), 100); /* len */
	uint8_t got[256];
	gmem_read(&fm.gmem, BUF, got, sizeof(got));
	ck_assert_mem_ne(got, zero, 100);
	ck_assert_mem_eq(got + 100, zero, 156); /* nothing past the buffer */
	/* MSI-X is off: ISR bit and INTx, lowered by the ISR read. */
	ck_assert_uint_eq(intx_level, 1);
	ck_assert_uint_eq(M(VIRTIO_MODERN_ISR, 1), VIRTIO_ISR_QUEUE);
	ck_assert_uint_eq(intx_level, 0);
	ck_assert_uint_eq(M(VIRTIO_MODERN_ISR, 1), 0);
}
END_TEST

/* BAD-INPUTS V7: however large the buffer, one request gets at most 64 KiB. */
START_TEST(rnd_request_capped)
{
	make(VIRTIO_TRANSITIONAL, true);
	modern_up();
	put_desc(DESC, 0, BUF, 256 * 1024, 2, 0);
	offer(AVAIL, 0, 0);
	kick_modern(0);
	ck_assert_uint_eq(r32(USED + 8), RND_MAX_REQUEST);
	/* V9: a chain with only a device-readable buffer gets nothing written. */
	uint8_t pat[64];
	memset(pat, 0x5a, sizeof(pat));
	gmem_write(&fm.gmem, BUF, pat, sizeof(pat));
	put_desc(DESC, 1, BUF, 64, 0, 0);
	offer(AVAIL, 1, 1);
	kick_modern(0);
	ck_assert_uint_eq(r16(USED + 2), 2);
	ck_assert_uint_eq(r32(USED + 8 + 8), 0);
	uint8_t got[64];
	gmem_read(&fm.gmem, BUF, got, sizeof(got));
	ck_assert_mem_eq(got, pat, sizeof(pat));
}
END_TEST

START_TEST(msix_delivery)
{
	make(VIRTIO_TRANSITIONAL, true);
	unsigned x = find_cap(PCI_CAP_ID_MSIX, 0);
	cfg_wr(x + 2, 2, 0x8000); /* enable */
	/* vector 1: address, data, unmasked */
	bar_wr(VIRTIO_PCI_MSIX_BAR, 16 + 0, 4, 0xfee00000);
	bar_wr(VIRTIO_PCI_MSIX_BAR, 16 + 4, 4, 0);
	bar_wr(VIRTIO_PCI_MSIX_BAR, 16 + 8, 4, 0x4041);
	bar_wr(VIRTIO_PCI_MSIX_BAR, 16 + 12, 4, 0);
	modern_up();
	MW(VIRTIO_COMMON_Q_MSIX, 2, 1);
	put_desc(DESC, 0, BUF, 16, 2, 0);
	offer(AVAIL, 0, 0);
	kick_modern(0);
	ck_assert_uint_eq(r16(USED + 2), 1);
	ck_assert_uint_eq(msi_count, 1);
	ck_assert_uint_eq(msi_data, 0x4041);
	ck_assert_uint_eq(intx_changes, 0);
	ck_assert_uint_eq(M(VIRTIO_MODERN_ISR, 1), 0); /* no ISR with MSI-X */
}
END_TEST

/* V1 through the device: a looping chain → NEEDS_RESET + config interrupt; reset revives it. */
START_TEST(protocol_violation_needs_reset)
{
	make(VIRTIO_TRANSITIONAL, true);
	modern_up();
	put_desc(DESC, 0, BUF, 16, 2 | 1 /* NEXT */, 1);
	put_desc(DESC, 1, BUF + 16, 16, 2 | 1, 0);
	offer(AVAIL, 0, 0);
	kick_modern(0);
	ck_assert_uint_ne(M(VIRTIO_COMMON_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET, 0);
	ck_assert_uint_eq(r16(USED + 2), 0);
	ck_assert_uint_eq(M(VIRTIO_MODERN_ISR, 1) & VIRTIO_ISR_CONFIG, VIRTIO_ISR_CONFIG);
	/* The driver cannot clear NEEDS_RESET but by a reset. */
	MW(VIRTIO_COMMON_STATUS, 1, 0x0f);
	ck_assert_uint_ne(M(VIRTIO_COMMON_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET, 0);
	MW(VIRTIO_COMMON_STATUS, 1, 0);
	ck_assert_uint_eq(M(VIRTIO_COMMON_STATUS, 1), 0);
	uint16_t z = 0;
	gmem_write(&fm.gmem, AVAIL + 2, &z, 2);
	modern_up();
	put_desc(DESC, 0, BUF, 16, 2, 0);
	offer(AVAIL, 0, 0);
	kick_modern(0);
	ck_assert_uint_eq(r16(USED + 2), 1);
	ck_assert_uint_eq(r32(USED + 8), 16);
}
END_TEST

START_TEST(legacy_interface)
{
	make(VIRTIO_TRANSITIONAL, true);
	LW(VIRTIO_LEGACY_STATUS, 1, 0);
	LW(VIRTIO_LEGACY_STATUS, 1, 3);
	uint32_t f = (uint32_t)L(VIRTIO_LEGACY_HOST_FEATURES, 4);
	ck_assert_uint_ne(f & 1u << VIRTIO_RING_F_INDIRECT_DESC, 0);
	LW(VIRTIO_LEGACY_GUEST_FEATURES, 4, 0xffffffff); /* only what is offered sticks */
	ck_assert_uint_eq(L(VIRTIO_LEGACY_GUEST_FEATURES, 4), f);
	ck_assert_uint_eq(L(VIRTIO_LEGACY_QUEUE_NUM, 2), 64);
	LW(VIRTIO_LEGACY_QUEUE_SEL, 2, 5);
	ck_assert_uint_eq(L(VIRTIO_LEGACY_QUEUE_NUM, 2), 0); /* Q2 */
	LW(VIRTIO_LEGACY_QUEUE_PFN, 4, 0x40);
	ck_assert_uint_eq(L(VIRTIO_LEGACY_QUEUE_PFN, 4), 0);
	LW(VIRTIO_LEGACY_QUEUE_SEL, 2, 0);
	LW(VIRTIO_LEGACY_QUEUE_PFN, 4, 0x40); /* rings at 0x40000 */
	ck_assert_uint_eq(L(VIRTIO_LEGACY_QUEUE_PFN, 4), 0x40);
	LW(VIRTIO_LEGACY_STATUS, 1, 7);
	uint64_t desc, avail, used;
	vq_legacy_layout(0x40, 64, &desc, &avail, &used);
	ck_assert_uint_eq(desc, 0x40000);
	put_desc(desc, 0, BUF, 32, 2, 0);
	g16(avail + 4, 0);
	g16(avail + 2, 1);
	LW(VIRTIO_LEGACY_QUEUE_NOTIFY, 2, 0);
	ck_assert_uint_eq(r16(used + 2), 1);
	ck_assert_uint_eq(r32(used + 8), 32);
	ck_assert_uint_eq(L(VIRTIO_LEGACY_ISR, 1), VIRTIO_ISR_QUEUE);
	/* Q3: a register at the wrong width is ignored. */
	LW(VIRTIO_LEGACY_STATUS, 4, 0);
	ck_assert_uint_eq(L(VIRTIO_LEGACY_STATUS, 1), 7);
	ck_assert_uint_eq(L(VIRTIO_LEGACY_QUEUE_NUM, 4), 0);
	/* The MSI-X vector registers exist only while MSI-X is on. */
	ck_assert_uint_eq(L(VIRTIO_LEGACY_CONFIG_VECTOR, 2), 0);
	cfg_wr(find_cap(PCI_CAP_ID_MSIX, 0) + 2, 2, 0x8000);
	ck_assert_uint_eq(L(VIRTIO_LEGACY_CONFIG_VECTOR, 2), VIRTIO_MSI_NO_VECTOR);
	LW(VIRTIO_LEGACY_QUEUE_VECTOR, 2, 1);
	ck_assert_uint_eq(L(VIRTIO_LEGACY_QUEUE_VECTOR, 2), 1);
	LW(VIRTIO_LEGACY_QUEUE_VECTOR, 2, 9);
	ck_assert_uint_eq(L(VIRTIO_LEGACY_QUEUE_VECTOR, 2), VIRTIO_MSI_NO_VECTOR);
	/* Writing PFN 0 stops the queue. */
	LW(VIRTIO_LEGACY_QUEUE_PFN, 4, 0);
	ck_assert_uint_eq(L(VIRTIO_LEGACY_QUEUE_PFN, 4), 0);
}
END_TEST

/* Through the legacy interface, VERSION_1 is never offered nor taken. */
START_TEST(legacy_feature_view)
{
	make(VIRTIO_TRANSITIONAL, true);
	LW(VIRTIO_LEGACY_GUEST_FEATURES, 4, 0);
	ck_assert_uint_eq(vd->guest_features >> 32, 0);
	ck_assert_uint_eq(virtio_read_host_features(vd, 1), 0);
}
END_TEST

/* VIRTIO_PCI_CAP_PCI_CFG: the modern BAR through config space. */
START_TEST(pci_cfg_window)
{
	make(VIRTIO_TRANSITIONAL, true);
	unsigned c = find_cap(PCI_CAP_ID_VNDR, VIRTIO_PCI_CAP_PCI_CFG);
	cfg_wr(c + 4, 1, VIRTIO_PCI_MODERN_BAR);
	cfg_wr(c + 8, 4, VIRTIO_COMMON_NUMQ);
	cfg_wr(c + 12, 4, 2);
	ck_assert_uint_eq(cfg_rd(c + 16, 4) & 0xffff, 1);
	cfg_wr(c + 8, 4, VIRTIO_COMMON_STATUS);
	cfg_wr(c + 12, 4, 1);
	cfg_wr(c + 16, 4, 3);
	ck_assert_uint_eq(M(VIRTIO_COMMON_STATUS, 1), 3);
	/* Another BAR, a bad length or misaligned offset: nothing, reads 0. */
	cfg_wr(c + 4, 1, 2);
	ck_assert_uint_eq(cfg_rd(c + 16, 4), 0);
	cfg_wr(c + 4, 1, VIRTIO_PCI_MODERN_BAR);
	cfg_wr(c + 12, 4, 3);
	ck_assert_uint_eq(cfg_rd(c + 16, 4), 0);
	cfg_wr(c + 12, 4, 4);
	cfg_wr(c + 8, 4, VIRTIO_MODERN_BAR_SIZE);
	ck_assert_uint_eq(cfg_rd(c + 16, 4), 0);
}
END_TEST

/* Queue q at DESC/AVAIL/USED + q * 0x10000, QSZ entries. */
static void modern_queue(unsigned q)
{
	MW(VIRTIO_COMMON_Q_SELECT, 2, q);
	MW(VIRTIO_COMMON_Q_SIZE, 2, QSZ);
	MW(VIRTIO_COMMON_Q_DESC, 8, DESC + q * 0x10000ull);
	MW(VIRTIO_COMMON_Q_AVAIL, 8, AVAIL + q * 0x10000ull);
	MW(VIRTIO_COMMON_Q_USED, 8, USED + q * 0x10000ull);
	MW(VIRTIO_COMMON_Q_ENABLE, 2, 1);
}

static void balloon_up(void)
{
	is_balloon = true;
	make(VIRTIO_TRANSITIONAL, true);
	MW(VIRTIO_COMMON_STATUS, 1, 3);
	MW(VIRTIO_COMMON_DFSELECT, 4, 0);
	uint32_t f = (uint32_t)M(VIRTIO_COMMON_DF, 4);
	ck_assert_uint_ne(f & 1u << VIRTIO_BALLOON_F_STATS_VQ, 0);
	ck_assert_uint_eq(f & 1u << VIRTIO_BALLOON_F_DEFLATE_ON_OOM, 0);
	MW(VIRTIO_COMMON_GFSELECT, 4, 0);
	MW(VIRTIO_COMMON_GF, 4, 1u << VIRTIO_BALLOON_F_STATS_VQ);
	MW(VIRTIO_COMMON_GFSELECT, 4, 1);
	MW(VIRTIO_COMMON_GF, 4, 1);
	MW(VIRTIO_COMMON_STATUS, 1, 0x0b);
	for (unsigned q = 0; q < 3; q++)
		modern_queue(q);
	MW(VIRTIO_COMMON_STATUS, 1, 0x0f);
}

START_TEST(balloon_config)
{
	balloon_up();
	ck_assert_uint_eq(M(VIRTIO_MODERN_DEVICE, 4), 8); /* num_pages */
	MW(VIRTIO_MODERN_DEVICE, 4, 99);                  /* read-only for the driver */
	ck_assert_uint_eq(M(VIRTIO_MODERN_DEVICE, 4), 8);
	MW(VIRTIO_MODERN_DEVICE + 4, 4, 8); /* actual */
	ck_assert_uint_eq(M(VIRTIO_MODERN_DEVICE + 4, 4), 8);
	ck_assert_uint_eq(M(VIRTIO_MODERN_DEVICE + 6, 2), 0);
	ck_assert_uint_eq(M(VIRTIO_MODERN_DEVICE + 8, 4), 0); /* past the end */
	uint8_t gen = (uint8_t)M(VIRTIO_COMMON_CFGGEN, 1);
	pthread_mutex_lock(&vd->lock);
	vtballoon_set_target(vd, 16);
	pthread_mutex_unlock(&vd->lock);
	ck_assert_uint_eq(M(VIRTIO_MODERN_DEVICE, 4), 16);
	ck_assert_uint_ne(M(VIRTIO_COMMON_CFGGEN, 1), gen);
	ck_assert_uint_eq(M(VIRTIO_MODERN_ISR, 1), VIRTIO_ISR_CONFIG);
}
END_TEST

/* Inflated frames lose their contents (returned to the host); bad frames are counted. */
START_TEST(balloon_inflate_frees_pages)
{
	balloon_up();
	uint8_t pat[4096];
	memset(pat, 0xa5, sizeof(pat));
	for (uint64_t pfn = 0x80; pfn < 0x83; pfn++)
		gmem_write(&fm.gmem, pfn << 12, pat, sizeof(pat));
	gmem_write(&fm.gmem, 0x90ull << 12, pat, sizeof(pat));
	/* frames 0x80, 0x81 (a run), 0x90, one in the hole, one past everything */
	uint32_t pfns[] = {0x80, 0x81, 0x90, 0x200, 0xffffffff};
	gmem_write(&fm.gmem, BUF, pfns, sizeof(pfns));
	put_desc(DESC, 0, BUF, sizeof(pfns), 0, 0);
	offer(AVAIL, 0, 0);
	kick_modern(0);
	ck_assert_uint_eq(r16(USED + 2), 1);
	const struct balloon_stats *st = vtballoon_stats(vd);
	ck_assert_uint_eq(st->pages_inflated, 5);
	ck_assert_uint_eq(st->pages_freed, 3);
	ck_assert_uint_eq(st->bad_pfns, 2);
	uint8_t got[4096], zero[4096] = {0};
	gmem_read(&fm.gmem, 0x80ull << 12, got, sizeof(got));
	ck_assert_mem_eq(got, zero, sizeof(got));
	gmem_read(&fm.gmem, 0x90ull << 12, got, sizeof(got));
	ck_assert_mem_eq(got, zero, sizeof(got));
	gmem_read(&fm.gmem, 0x82ull << 12, got, sizeof(got)); /* not inflated: untouched */
	ck_assert_mem_eq(got, pat, sizeof(got));
	/* deflate: acknowledged, nothing to do */
	put_desc(DESC + 0x10000, 0, BUF, 8, 0, 0);
	offer(AVAIL + 0x10000, 0, 0);
	kick_modern(1);
	ck_assert_uint_eq(r16(USED + 0x10000 + 2), 1);
	ck_assert_uint_eq(st->pages_deflated, 2);
}
END_TEST

/* A huge PFN list is cut at BALLOON_MAX_PFNS: bounded work per request. */
START_TEST(balloon_inflate_bounded)
{
	balloon_up();
	put_desc(DESC, 0, 0, RAM_LO, 0, 0); /* all of low RAM as one PFN array */
	offer(AVAIL, 0, 0);
	kick_modern(0);
	ck_assert_uint_eq(vtballoon_stats(vd)->pages_inflated, BALLOON_MAX_PFNS);
}
END_TEST

/* The statistics buffer is kept (not returned) and its values recorded. */
START_TEST(balloon_stats_held)
{
	balloon_up();
	uint8_t e[20] = {0};
	e[0] = 4; /* free memory */
	uint64_t v = 123456;
	memcpy(&e[2], &v, 8);
	e[10] = 99; /* unknown tag: ignored */
	gmem_write(&fm.gmem, BUF, e, sizeof(e));
	put_desc(DESC + 0x20000, 0, BUF, sizeof(e), 0, 0);
	offer(AVAIL + 0x20000, 0, 0);
	kick_modern(2);
	ck_assert_uint_eq(r16(USED + 0x20000 + 2), 0);
	const struct balloon_stats *st = vtballoon_stats(vd);
	ck_assert_uint_eq(st->stats_updates, 1);
	ck_assert_uint_eq(st->stat[4], 123456);
	ck_assert_uint_eq(st->stat_valid, 1u << 4);
	/* A second buffer while one is held goes straight back. */
	put_desc(DESC + 0x20000, 1, BUF, sizeof(e), 0, 0);
	offer(AVAIL + 0x20000, 1, 1);
	kick_modern(2);
	ck_assert_uint_eq(r16(USED + 0x20000 + 2), 1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("virtio_pci");
	TCase *t = tcase_create("core");
	tcase_add_checked_fixture(t, NULL, teardown);
	tcase_add_test(t, transitional_identity);
	tcase_add_test(t, modern_only_and_legacy_only);
	tcase_add_test(t, modern_features);
	tcase_add_test(t, modern_queue_registers_hostile);
	tcase_add_test(t, queue_outside_ram_needs_reset);
	tcase_add_test(t, modern_rnd_request_intx);
	tcase_add_test(t, rnd_request_capped);
	tcase_add_test(t, msix_delivery);
	tcase_add_test(t, protocol_violation_needs_reset);
	tcase_add_test(t, legacy_interface);
	tcase_add_test(t, legacy_feature_view);
	tcase_add_test(t, pci_cfg_window);
	tcase_add_test(t, balloon_config);
	tcase_add_test(t, balloon_inflate_frees_pages);
	tcase_add_test(t, balloon_inflate_bounded);
	tcase_add_test(t, balloon_stats_held);
	suite_add_tcase(s, t);
	return s;
}

CHECK_MAIN(suite)
