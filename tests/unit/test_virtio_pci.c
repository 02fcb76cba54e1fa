// SPDX-License-Identifier: BSD-2-Clause
/*
 * Transitional virtio-pci on fake guest memory: identity, capabilities,
 * the legacy and the modern register files, feature negotiation,
 * interrupts (INTx, MSI-X), DEVICE_NEEDS_RESET, and virtio-rnd requests.
 */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "khyve/virtio_balloon.h"
#include "khyve/virtio_pci.h"
#include "khyve/virtio_rnd.h"
#include "vtest.h"

static struct pci_dev *dev;
static struct virtio_dev *vd;
static struct virtio_pci *vp;

static bool is_balloon;

/* A virtio-rnd (or, with is_balloon, a virtio-balloon asking for 8 pages) at VT_SLOT. */
static void make(enum virtio_transport t, bool msix)
{
	vt_init(is_balloon ? &virtio_balloon_emu : &virtio_rnd_emu);
	dev = vt_dev;
	vd = is_balloon ? vtballoon_new(&vt_mem.gmem, 8, false, false) : vtrnd_new(&vt_mem.gmem);
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
	vt_fini();
}

/* Modern driver bring-up to DRIVER_OK with queue 0 at VT_DESC/VT_AVAIL/VT_USED. */
static void modern_up(void)
{
	VT_MW(VIRTIO_COMMON_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	VT_MW(VIRTIO_COMMON_GFSELECT, 4, 1);
	VT_MW(VIRTIO_COMMON_GF, 4, 1); /* VERSION_1 */
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0x0b);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_STATUS, 1), 0x0b);
	VT_MW(VIRTIO_COMMON_Q_SELECT, 2, 0);
	VT_MW(VIRTIO_COMMON_Q_SIZE, 2, VT_QSZ);
	VT_MW(VIRTIO_COMMON_Q_DESC, 8, VT_DESC);
	VT_MW(VIRTIO_COMMON_Q_AVAIL, 4, VT_AVAIL);
	VT_MW(VIRTIO_COMMON_Q_AVAIL + 4, 4, 0);
	VT_MW(VIRTIO_COMMON_Q_USED, 8, VT_USED);
	VT_MW(VIRTIO_COMMON_Q_ENABLE, 2, 1);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_Q_ENABLE, 2), 1);
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0x0f);
}


START_TEST(transitional_identity)
{
	make(VIRTIO_TRANSITIONAL, true);
	ck_assert_uint_eq(vt_cfg_rd(PCI_VENDOR_ID, 2), 0x1af4);
	ck_assert_uint_eq(vt_cfg_rd(PCI_DEVICE_ID, 2), 0x1005);
	ck_assert_uint_eq(vt_cfg_rd(PCI_REVISION_ID, 1), 0);
	ck_assert_uint_eq(vt_cfg_rd(PCI_SUBSYSTEM_ID, 2), VIRTIO_ID_RNG);
	ck_assert_uint_eq(vt_cfg_rd(PCI_INTERRUPT_PIN, 1), 1);
	ck_assert_int_eq(dev->bar[0].type, PCI_BAR_IO);
	ck_assert_int_eq(dev->bar[1].type, PCI_BAR_MEM32);
	ck_assert_int_eq(dev->bar[4].type, PCI_BAR_MEM64);
	ck_assert_uint_eq(dev->bar[4].size, VIRTIO_MODERN_BAR_SIZE);
	unsigned types[] = {VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_CAP_NOTIFY_CFG,
			    VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_CAP_DEVICE_CFG,
			    VIRTIO_PCI_CAP_PCI_CFG};
	for (unsigned i = 0; i < 5; i++) {
		unsigned c = vt_find_cap(PCI_CAP_ID_VNDR, (uint8_t)types[i]);
		ck_assert_uint_ne(c, 0);
		if (types[i] != VIRTIO_PCI_CAP_PCI_CFG)
			ck_assert_uint_eq(vt_cfg_rd(c + 4, 1), VIRTIO_PCI_MODERN_BAR);
	}
	unsigned n = vt_find_cap(PCI_CAP_ID_VNDR, VIRTIO_PCI_CAP_NOTIFY_CFG);
	ck_assert_uint_eq(vt_cfg_rd(n + 8, 4), VIRTIO_MODERN_NOTIFY);
	ck_assert_uint_eq(vt_cfg_rd(n + 16, 4), VIRTIO_MODERN_NOTIFY_MULT);
	unsigned x = vt_find_cap(PCI_CAP_ID_MSIX, 0);
	ck_assert_uint_ne(x, 0);
	ck_assert_uint_eq((vt_cfg_rd(x + 2, 2) & 0x7ff) + 1, 2); /* one queue + config */
}
END_TEST

START_TEST(modern_only_and_legacy_only)
{
	make(VIRTIO_MODERN, true);
	ck_assert_uint_eq(vt_cfg_rd(PCI_DEVICE_ID, 2), 0x1040 + VIRTIO_ID_RNG);
	ck_assert_uint_eq(vt_cfg_rd(PCI_REVISION_ID, 1), 1);
	ck_assert_int_eq(dev->bar[0].type, PCI_BAR_NONE);
	ck_assert_uint_ne(vt_find_cap(PCI_CAP_ID_VNDR, VIRTIO_PCI_CAP_COMMON_CFG), 0);
	teardown();
	make(VIRTIO_LEGACY, false);
	ck_assert_uint_eq(vt_cfg_rd(PCI_DEVICE_ID, 2), 0x1005);
	ck_assert_int_eq(dev->bar[0].type, PCI_BAR_IO);
	ck_assert_int_eq(dev->bar[4].type, PCI_BAR_NONE);
	ck_assert_uint_eq(vt_find_cap(PCI_CAP_ID_VNDR, VIRTIO_PCI_CAP_COMMON_CFG), 0);
	ck_assert_uint_eq(vt_find_cap(PCI_CAP_ID_MSIX, 0), 0);
	ck_assert_uint_ne(vt_find_cap(PCI_CAP_ID_MSI, 0), 0); /* -W */
}
END_TEST

START_TEST(modern_features)
{
	make(VIRTIO_TRANSITIONAL, true);
	VT_MW(VIRTIO_COMMON_DFSELECT, 4, 1);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_DF, 4) & 1, 1); /* VERSION_1 */
	VT_MW(VIRTIO_COMMON_DFSELECT, 4, 0);
	ck_assert_uint_ne(VT_M(VIRTIO_COMMON_DF, 4) & 1u << VIRTIO_RING_F_EVENT_IDX, 0);
	VT_MW(VIRTIO_COMMON_STATUS, 1, 3);
	/* Without VERSION_1, FEATURES_OK does not stick. */
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0x0b);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_STATUS, 1), 3);
	/* A feature that was not offered: refused too. */
	VT_MW(VIRTIO_COMMON_GFSELECT, 4, 1);
	VT_MW(VIRTIO_COMMON_GF, 4, 1 | 1u << 10);
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0x0b);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_STATUS, 1), 3);
	VT_MW(VIRTIO_COMMON_GF, 4, 1);
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0x0b);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_STATUS, 1), 0x0b);
	/* Features are fixed after FEATURES_OK. */
	VT_MW(VIRTIO_COMMON_GF, 4, 0);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_GF, 4), 1);
	/* Reset clears status and features. */
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_STATUS, 1), 0);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_GF, 4), 0);
}
END_TEST

START_TEST(modern_queue_registers_hostile)
{
	make(VIRTIO_TRANSITIONAL, true);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_NUMQ, 2), 1);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_Q_SIZE, 2), 64);
	/* Q1: zero, not a power of two, above the maximum: ignored. */
	VT_MW(VIRTIO_COMMON_Q_SIZE, 2, 0);
	VT_MW(VIRTIO_COMMON_Q_SIZE, 2, 24);
	VT_MW(VIRTIO_COMMON_Q_SIZE, 2, 128);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_Q_SIZE, 2), 64);
	VT_MW(VIRTIO_COMMON_Q_SIZE, 2, 16);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_Q_SIZE, 2), 16);
	/* Q2: a queue that does not exist reads 0 and takes no writes. */
	VT_MW(VIRTIO_COMMON_Q_SELECT, 2, 0xffff);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_Q_SIZE, 2), 0);
	VT_MW(VIRTIO_COMMON_Q_ENABLE, 2, 1);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_Q_ENABLE, 2), 0);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	vt_modern_kick(0xfff); /* beyond the notify area: nothing */
	VT_MW(VIRTIO_COMMON_Q_SELECT, 2, 0);
	/* Q3: wrong widths are ignored and read 0. */
	VT_MW(VIRTIO_COMMON_Q_SIZE, 4, 32);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_Q_SIZE, 2), 16);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_Q_SIZE, 1), 0);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_NUMQ, 4), 0);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_STATUS, 2), 0);
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE + 0x100, 4), 0); /* no device config at all */
	/* Q4: a vector beyond the table reads back as NO_VECTOR. */
	VT_MW(VIRTIO_COMMON_Q_MSIX, 2, 7);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	VT_MW(VIRTIO_COMMON_Q_MSIX, 2, 1);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_Q_MSIX, 2), 1);
	VT_MW(VIRTIO_COMMON_MSIX, 2, 2);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	/* 64-bit addresses in two halves, fixed once the queue is enabled. */
	VT_MW(VIRTIO_COMMON_Q_DESC, 4, 0x1000);
	VT_MW(VIRTIO_COMMON_Q_DESC + 4, 4, 0x2);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_Q_DESC, 8), 0x200001000ull);
}
END_TEST

/* An enabled queue whose rings are outside RAM: NEEDS_RESET, not a crash. */
START_TEST(queue_outside_ram_needs_reset)
{
	make(VIRTIO_TRANSITIONAL, true);
	VT_MW(VIRTIO_COMMON_STATUS, 1, 3);
	VT_MW(VIRTIO_COMMON_GFSELECT, 4, 1);
	VT_MW(VIRTIO_COMMON_GF, 4, 1);
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0x0b);
	VT_MW(VIRTIO_COMMON_Q_DESC, 8, VT_RAM_LO - 16); /* spills into the hole */
	VT_MW(VIRTIO_COMMON_Q_AVAIL, 8, VT_AVAIL);
	VT_MW(VIRTIO_COMMON_Q_USED, 8, VT_USED);
	VT_MW(VIRTIO_COMMON_Q_ENABLE, 2, 1);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_Q_ENABLE, 2), 0);
	ck_assert_uint_ne(VT_M(VIRTIO_COMMON_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET, 0);
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_STATUS, 1), 0);
}
END_TEST

START_TEST(modern_rnd_request_intx)
{
	make(VIRTIO_TRANSITIONAL, true);
	modern_up();
	uint8_t zero[256] = {0};
	gmem_write(&vt_mem.gmem, VT_BUF, zero, sizeof(zero));
	vt_desc(VT_DESC, 0, VT_BUF, 100, 2 /* WRITE */, 0);
	vt_offer(VT_AVAIL, 0, 0);
	vt_modern_kick(0);
	ck_assert_uint_eq(vt_r16(VT_USED + 2), 1);
	ck_assert_uint_eq(vt_r32(VT_USED + 4), 0);   /* id */
	ck_assert_uint_eq(vt_r32(VT_USED + 8), 100); /* len */
	uint8_t got[256];
	gmem_read(&vt_mem.gmem, VT_BUF, got, sizeof(got));
	ck_assert_mem_ne(got, zero, 100);
	ck_assert_mem_eq(got + 100, zero, 156); /* nothing past the buffer */
	/* MSI-X is off: ISR bit and INTx, lowered by the ISR read. */
	ck_assert_uint_eq(vt_intx_level, 1);
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_ISR, 1), VIRTIO_ISR_QUEUE);
	ck_assert_uint_eq(vt_intx_level, 0);
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_ISR, 1), 0);
}
END_TEST

/*
 * With EVENT_IDX the driver kicks only when its avail index passes
 * avail_event (used ring's last word): after each pass the device must have
 * moved it to what it took, or the driver's next request is never kicked.
 */
START_TEST(event_idx_avail_event_follows)
{
	make(VIRTIO_TRANSITIONAL, true);
	VT_MW(VIRTIO_COMMON_STATUS, 1, 3);
	VT_MW(VIRTIO_COMMON_GFSELECT, 4, 0);
	VT_MW(VIRTIO_COMMON_GF, 4, 1u << VIRTIO_RING_F_EVENT_IDX);
	VT_MW(VIRTIO_COMMON_GFSELECT, 4, 1);
	VT_MW(VIRTIO_COMMON_GF, 4, 1);
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0x0b);
	vt_modern_queue(0);
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0x0f);
	uint64_t avail_event = VT_USED + 4 + 8ull * VT_QSZ;
	for (uint16_t i = 0; i < 3; i++) {
		vt_desc(VT_DESC, i, VT_BUF + 64u * i, 16, 2, 0);
		vt_offer(VT_AVAIL, i, i);
		vt_modern_kick(0);
		ck_assert_uint_eq(vt_r16(VT_USED + 2), i + 1u);
		ck_assert_uint_eq(vt_r16(avail_event), i + 1u);
	}
	/* Two chains added with one kick: both taken. */
	vt_desc(VT_DESC, 3, VT_BUF, 16, 2, 0);
	vt_desc(VT_DESC, 4, VT_BUF + 64, 16, 2, 0);
	vt_w16(VT_AVAIL + 4 + 2 * 3, 3);
	vt_w16(VT_AVAIL + 4 + 2 * 4, 4);
	vt_w16(VT_AVAIL + 2, 5);
	vt_modern_kick(0);
	ck_assert_uint_eq(vt_r16(VT_USED + 2), 5);
	ck_assert_uint_eq(vt_r16(avail_event), 5);
}
END_TEST

/* BAD-INPUTS V7: however large the buffer, one request gets at most 64 KiB. */
START_TEST(rnd_request_capped)
{
	make(VIRTIO_TRANSITIONAL, true);
	modern_up();
	vt_desc(VT_DESC, 0, VT_BUF, 256 * 1024, 2, 0);
	vt_offer(VT_AVAIL, 0, 0);
	vt_modern_kick(0);
	ck_assert_uint_eq(vt_r32(VT_USED + 8), RND_MAX_REQUEST);
	/* V9: a chain with only a device-readable buffer gets nothing written. */
	uint8_t pat[64];
	memset(pat, 0x5a, sizeof(pat));
	gmem_write(&vt_mem.gmem, VT_BUF, pat, sizeof(pat));
	vt_desc(VT_DESC, 1, VT_BUF, 64, 0, 0);
	vt_offer(VT_AVAIL, 1, 1);
	vt_modern_kick(0);
	ck_assert_uint_eq(vt_r16(VT_USED + 2), 2);
	ck_assert_uint_eq(vt_r32(VT_USED + 8 + 8), 0);
	uint8_t got[64];
	gmem_read(&vt_mem.gmem, VT_BUF, got, sizeof(got));
	ck_assert_mem_eq(got, pat, sizeof(pat));
}
END_TEST

START_TEST(msix_delivery)
{
	make(VIRTIO_TRANSITIONAL, true);
	unsigned x = vt_find_cap(PCI_CAP_ID_MSIX, 0);
	vt_cfg_wr(x + 2, 2, 0x8000); /* enable */
	/* vector 1: address, data, unmasked */
	vt_bar_wr(VIRTIO_PCI_MSIX_BAR, 16 + 0, 4, 0xfee00000);
	vt_bar_wr(VIRTIO_PCI_MSIX_BAR, 16 + 4, 4, 0);
	vt_bar_wr(VIRTIO_PCI_MSIX_BAR, 16 + 8, 4, 0x4041);
	vt_bar_wr(VIRTIO_PCI_MSIX_BAR, 16 + 12, 4, 0);
	modern_up();
	VT_MW(VIRTIO_COMMON_Q_MSIX, 2, 1);
	vt_desc(VT_DESC, 0, VT_BUF, 16, 2, 0);
	vt_offer(VT_AVAIL, 0, 0);
	vt_modern_kick(0);
	ck_assert_uint_eq(vt_r16(VT_USED + 2), 1);
	ck_assert_uint_eq(vt_msi_count, 1);
	ck_assert_uint_eq(vt_msi_data, 0x4041);
	ck_assert_uint_eq(vt_intx_changes, 0);
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_ISR, 1), 0); /* no ISR with MSI-X */
}
END_TEST

/* V1 through the device: a looping chain → NEEDS_RESET + config interrupt; reset revives it. */
START_TEST(protocol_violation_needs_reset)
{
	make(VIRTIO_TRANSITIONAL, true);
	modern_up();
	vt_desc(VT_DESC, 0, VT_BUF, 16, 2 | 1 /* NEXT */, 1);
	vt_desc(VT_DESC, 1, VT_BUF + 16, 16, 2 | 1, 0);
	vt_offer(VT_AVAIL, 0, 0);
	vt_modern_kick(0);
	ck_assert_uint_ne(VT_M(VIRTIO_COMMON_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET, 0);
	ck_assert_uint_eq(vt_r16(VT_USED + 2), 0);
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_ISR, 1) & VIRTIO_ISR_CONFIG, VIRTIO_ISR_CONFIG);
	/* The driver cannot clear NEEDS_RESET but by a reset. */
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0x0f);
	ck_assert_uint_ne(VT_M(VIRTIO_COMMON_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET, 0);
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_STATUS, 1), 0);
	uint16_t z = 0;
	gmem_write(&vt_mem.gmem, VT_AVAIL + 2, &z, 2);
	modern_up();
	vt_desc(VT_DESC, 0, VT_BUF, 16, 2, 0);
	vt_offer(VT_AVAIL, 0, 0);
	vt_modern_kick(0);
	ck_assert_uint_eq(vt_r16(VT_USED + 2), 1);
	ck_assert_uint_eq(vt_r32(VT_USED + 8), 16);
}
END_TEST

START_TEST(legacy_interface)
{
	make(VIRTIO_TRANSITIONAL, true);
	VT_LW(VIRTIO_LEGACY_STATUS, 1, 0);
	VT_LW(VIRTIO_LEGACY_STATUS, 1, 3);
	uint32_t f = (uint32_t)VT_L(VIRTIO_LEGACY_HOST_FEATURES, 4);
	ck_assert_uint_ne(f & 1u << VIRTIO_RING_F_INDIRECT_DESC, 0);
	VT_LW(VIRTIO_LEGACY_GUEST_FEATURES, 4, 0xffffffff); /* only what is offered sticks */
	ck_assert_uint_eq(VT_L(VIRTIO_LEGACY_GUEST_FEATURES, 4), f);
	ck_assert_uint_eq(VT_L(VIRTIO_LEGACY_QUEUE_NUM, 2), 64);
	VT_LW(VIRTIO_LEGACY_QUEUE_SEL, 2, 5);
	ck_assert_uint_eq(VT_L(VIRTIO_LEGACY_QUEUE_NUM, 2), 0); /* Q2 */
	VT_LW(VIRTIO_LEGACY_QUEUE_PFN, 4, 0x40);
	ck_assert_uint_eq(VT_L(VIRTIO_LEGACY_QUEUE_PFN, 4), 0);
	VT_LW(VIRTIO_LEGACY_QUEUE_SEL, 2, 0);
	VT_LW(VIRTIO_LEGACY_QUEUE_PFN, 4, 0x40); /* rings at 0x40000 */
	ck_assert_uint_eq(VT_L(VIRTIO_LEGACY_QUEUE_PFN, 4), 0x40);
	VT_LW(VIRTIO_LEGACY_STATUS, 1, 7);
	uint64_t desc, avail, used;
	vq_legacy_layout(0x40, 64, &desc, &avail, &used);
	ck_assert_uint_eq(desc, 0x40000);
	vt_desc(desc, 0, VT_BUF, 32, 2, 0);
	vt_w16(avail + 4, 0);
	vt_w16(avail + 2, 1);
	VT_LW(VIRTIO_LEGACY_QUEUE_NOTIFY, 2, 0);
	ck_assert_uint_eq(vt_r16(used + 2), 1);
	ck_assert_uint_eq(vt_r32(used + 8), 32);
	ck_assert_uint_eq(VT_L(VIRTIO_LEGACY_ISR, 1), VIRTIO_ISR_QUEUE);
	/* Q3: a register at the wrong width is ignored. */
	VT_LW(VIRTIO_LEGACY_STATUS, 4, 0);
	ck_assert_uint_eq(VT_L(VIRTIO_LEGACY_STATUS, 1), 7);
	ck_assert_uint_eq(VT_L(VIRTIO_LEGACY_QUEUE_NUM, 4), 0);
	/* The MSI-X vector registers exist only while MSI-X is on. */
	ck_assert_uint_eq(VT_L(VIRTIO_LEGACY_CONFIG_VECTOR, 2), 0);
	vt_cfg_wr(vt_find_cap(PCI_CAP_ID_MSIX, 0) + 2, 2, 0x8000);
	ck_assert_uint_eq(VT_L(VIRTIO_LEGACY_CONFIG_VECTOR, 2), VIRTIO_MSI_NO_VECTOR);
	VT_LW(VIRTIO_LEGACY_QUEUE_VECTOR, 2, 1);
	ck_assert_uint_eq(VT_L(VIRTIO_LEGACY_QUEUE_VECTOR, 2), 1);
	VT_LW(VIRTIO_LEGACY_QUEUE_VECTOR, 2, 9);
	ck_assert_uint_eq(VT_L(VIRTIO_LEGACY_QUEUE_VECTOR, 2), VIRTIO_MSI_NO_VECTOR);
	/* Writing PFN 0 stops the queue. */
	VT_LW(VIRTIO_LEGACY_QUEUE_PFN, 4, 0);
	ck_assert_uint_eq(VT_L(VIRTIO_LEGACY_QUEUE_PFN, 4), 0);
}
END_TEST

/* Through the legacy interface, VERSION_1 is never offered nor taken. */
START_TEST(legacy_feature_view)
{
	make(VIRTIO_TRANSITIONAL, true);
	VT_LW(VIRTIO_LEGACY_GUEST_FEATURES, 4, 0);
	ck_assert_uint_eq(vd->guest_features >> 32, 0);
	ck_assert_uint_eq(virtio_read_host_features(vd, 1), 0);
}
END_TEST

/* VIRTIO_PCI_CAP_PCI_CFG: the modern BAR through config space. */
START_TEST(pci_cfg_window)
{
	make(VIRTIO_TRANSITIONAL, true);
	unsigned c = vt_find_cap(PCI_CAP_ID_VNDR, VIRTIO_PCI_CAP_PCI_CFG);
	vt_cfg_wr(c + 4, 1, VIRTIO_PCI_MODERN_BAR);
	vt_cfg_wr(c + 8, 4, VIRTIO_COMMON_NUMQ);
	vt_cfg_wr(c + 12, 4, 2);
	ck_assert_uint_eq(vt_cfg_rd(c + 16, 4) & 0xffff, 1);
	vt_cfg_wr(c + 8, 4, VIRTIO_COMMON_STATUS);
	vt_cfg_wr(c + 12, 4, 1);
	vt_cfg_wr(c + 16, 4, 3);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_STATUS, 1), 3);
	/* Another BAR, a bad length or misaligned offset: nothing, reads 0. */
	vt_cfg_wr(c + 4, 1, 2);
	ck_assert_uint_eq(vt_cfg_rd(c + 16, 4), 0);
	vt_cfg_wr(c + 4, 1, VIRTIO_PCI_MODERN_BAR);
	vt_cfg_wr(c + 12, 4, 3);
	ck_assert_uint_eq(vt_cfg_rd(c + 16, 4), 0);
	vt_cfg_wr(c + 12, 4, 4);
	vt_cfg_wr(c + 8, 4, VIRTIO_MODERN_BAR_SIZE);
	ck_assert_uint_eq(vt_cfg_rd(c + 16, 4), 0);
}
END_TEST

static void balloon_up(void)
{
	is_balloon = true;
	make(VIRTIO_TRANSITIONAL, true);
	VT_MW(VIRTIO_COMMON_STATUS, 1, 3);
	VT_MW(VIRTIO_COMMON_DFSELECT, 4, 0);
	uint32_t f = (uint32_t)VT_M(VIRTIO_COMMON_DF, 4);
	ck_assert_uint_ne(f & 1u << VIRTIO_BALLOON_F_STATS_VQ, 0);
	ck_assert_uint_eq(f & 1u << VIRTIO_BALLOON_F_DEFLATE_ON_OOM, 0);
	VT_MW(VIRTIO_COMMON_GFSELECT, 4, 0);
	VT_MW(VIRTIO_COMMON_GF, 4, 1u << VIRTIO_BALLOON_F_STATS_VQ);
	VT_MW(VIRTIO_COMMON_GFSELECT, 4, 1);
	VT_MW(VIRTIO_COMMON_GF, 4, 1);
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0x0b);
	for (unsigned q = 0; q < 3; q++)
		vt_modern_queue(q);
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0x0f);
}

START_TEST(balloon_config)
{
	balloon_up();
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE, 4), 8); /* num_pages */
	VT_MW(VIRTIO_MODERN_DEVICE, 4, 99);                  /* read-only for the driver */
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE, 4), 8);
	VT_MW(VIRTIO_MODERN_DEVICE + 4, 4, 8); /* actual */
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE + 4, 4), 8);
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE + 6, 2), 0);
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE + 8, 4), 0); /* past the end */
	uint8_t gen = (uint8_t)VT_M(VIRTIO_COMMON_CFGGEN, 1);
	pthread_mutex_lock(&vd->lock);
	vtballoon_set_target(vd, 16);
	pthread_mutex_unlock(&vd->lock);
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_DEVICE, 4), 16);
	ck_assert_uint_ne(VT_M(VIRTIO_COMMON_CFGGEN, 1), gen);
	ck_assert_uint_eq(VT_M(VIRTIO_MODERN_ISR, 1), VIRTIO_ISR_CONFIG);
}
END_TEST

/* Inflated frames lose their contents (returned to the host); bad frames are counted. */
START_TEST(balloon_inflate_frees_pages)
{
	balloon_up();
	uint8_t pat[4096];
	memset(pat, 0xa5, sizeof(pat));
	for (uint64_t pfn = 0x80; pfn < 0x83; pfn++)
		gmem_write(&vt_mem.gmem, pfn << 12, pat, sizeof(pat));
	gmem_write(&vt_mem.gmem, 0x90ull << 12, pat, sizeof(pat));
	/* frames 0x80, 0x81 (a run), 0x90, one in the hole, one past everything */
	uint32_t pfns[] = {0x80, 0x81, 0x90, 0x200, 0xffffffff};
	gmem_write(&vt_mem.gmem, VT_BUF, pfns, sizeof(pfns));
	vt_desc(VT_DESC, 0, VT_BUF, sizeof(pfns), 0, 0);
	vt_offer(VT_AVAIL, 0, 0);
	vt_modern_kick(0);
	ck_assert_uint_eq(vt_r16(VT_USED + 2), 1);
	const struct balloon_stats *st = vtballoon_stats(vd);
	ck_assert_uint_eq(st->pages_inflated, 5);
	ck_assert_uint_eq(st->pages_freed, 3);
	ck_assert_uint_eq(st->bad_pfns, 2);
	uint8_t got[4096], zero[4096] = {0};
	gmem_read(&vt_mem.gmem, 0x80ull << 12, got, sizeof(got));
	ck_assert_mem_eq(got, zero, sizeof(got));
	gmem_read(&vt_mem.gmem, 0x90ull << 12, got, sizeof(got));
	ck_assert_mem_eq(got, zero, sizeof(got));
	gmem_read(&vt_mem.gmem, 0x82ull << 12, got, sizeof(got)); /* not inflated: untouched */
	ck_assert_mem_eq(got, pat, sizeof(got));
	/* deflate: acknowledged, nothing to do */
	vt_desc(VT_DESC + 0x10000, 0, VT_BUF, 8, 0, 0);
	vt_offer(VT_AVAIL + 0x10000, 0, 0);
	vt_modern_kick(1);
	ck_assert_uint_eq(vt_r16(VT_USED + 0x10000 + 2), 1);
	ck_assert_uint_eq(st->pages_deflated, 2);
}
END_TEST

/* A huge PFN list is cut at BALLOON_MAX_PFNS: bounded work per request. */
START_TEST(balloon_inflate_bounded)
{
	balloon_up();
	vt_desc(VT_DESC, 0, 0, VT_RAM_LO, 0, 0); /* all of low RAM as one PFN array */
	vt_offer(VT_AVAIL, 0, 0);
	vt_modern_kick(0);
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
	gmem_write(&vt_mem.gmem, VT_BUF, e, sizeof(e));
	vt_desc(VT_DESC + 0x20000, 0, VT_BUF, sizeof(e), 0, 0);
	vt_offer(VT_AVAIL + 0x20000, 0, 0);
	vt_modern_kick(2);
	ck_assert_uint_eq(vt_r16(VT_USED + 0x20000 + 2), 0);
	const struct balloon_stats *st = vtballoon_stats(vd);
	ck_assert_uint_eq(st->stats_updates, 1);
	ck_assert_uint_eq(st->stat[4], 123456);
	ck_assert_uint_eq(st->stat_valid, 1u << 4);
	/* A second buffer while one is held goes straight back. */
	vt_desc(VT_DESC + 0x20000, 1, VT_BUF, sizeof(e), 0, 0);
	vt_offer(VT_AVAIL + 0x20000, 1, 1);
	vt_modern_kick(2);
	ck_assert_uint_eq(vt_r16(VT_USED + 0x20000 + 2), 1);
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
	tcase_add_test(t, event_idx_avail_event_follows);
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
