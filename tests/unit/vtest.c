// SPDX-License-Identifier: BSD-2-Clause
#include "vtest.h"

#include <check.h>
#include <string.h>

struct fakemem vt_mem;
struct pci_root vt_root;
struct pci_dev *vt_dev;
unsigned vt_msi_count, vt_intx_level, vt_intx_changes;
uint32_t vt_msi_data;

static int fake_msi(void *arg, uint64_t addr, uint32_t data)
{
	(void)arg;
	(void)addr;
	vt_msi_count++;
	vt_msi_data = data;
	return 0;
}

static void fake_intx(void *arg, unsigned gsi, int level)
{
	(void)arg;
	(void)gsi;
	vt_intx_level = (unsigned)level;
	vt_intx_changes++;
}

void vt_init(const struct pci_devemu *emu)
{
	ck_assert_int_eq(fakemem_init(&vt_mem, VT_RAM_LO, 1ull << 32, 1u << 20), 0);
	pci_root_init(&vt_root);
	vt_root.io_base = vt_root.io_next = 0xd000;
	vt_root.io_limit = 0x10000;
	vt_root.mem32_base = vt_root.mem32_next = 0xc0000000;
	vt_root.mem32_limit = 0xe0000000;
	vt_root.mem64_base = vt_root.mem64_next = 1ull << 36;
	vt_root.mem64_limit = 1ull << 37;
	vt_root.msi_send = fake_msi;
	vt_root.intx_set = fake_intx;
	vt_msi_count = vt_intx_level = vt_intx_changes = 0;
	vt_dev = pci_dev_add(&vt_root, VT_SLOT, 0, emu);
	ck_assert_ptr_nonnull(vt_dev);
}

void vt_fini(void)
{
	pci_root_fini(&vt_root);
	fakemem_fini(&vt_mem);
}

uint32_t vt_cfg_rd(unsigned off, unsigned size)
{
	return pci_cfg_read(&vt_root, 0, VT_SLOT, 0, off, size);
}

void vt_cfg_wr(unsigned off, unsigned size, uint32_t v)
{
	pci_cfg_write(&vt_root, 0, VT_SLOT, 0, off, size, v);
}

uint64_t vt_bar_rd(unsigned bar, uint64_t off, unsigned size)
{
	uint64_t v = 0;
	vt_dev->bar[bar].fn(vt_dev->bar[bar].opaque, off, (uint8_t *)&v, size, false);
	return v;
}

void vt_bar_wr(unsigned bar, uint64_t off, unsigned size, uint64_t v)
{
	vt_dev->bar[bar].fn(vt_dev->bar[bar].opaque, off, (uint8_t *)&v, size, true);
}

unsigned vt_find_cap(uint8_t id, uint8_t type)
{
	unsigned off = vt_cfg_rd(PCI_CAPABILITY_LIST, 1), n = 0;
	while (off && n++ < 48) {
		if (vt_cfg_rd(off, 1) == id &&
		    (id != PCI_CAP_ID_VNDR || vt_cfg_rd(off + 3, 1) == type))
			return off;
		off = vt_cfg_rd(off + 1, 1);
	}
	return 0;
}

void vt_w16(uint64_t gpa, uint16_t v)
{
	gmem_write(&vt_mem.gmem, gpa, &v, 2);
}

uint16_t vt_r16(uint64_t gpa)
{
	uint16_t v = 0;
	gmem_read(&vt_mem.gmem, gpa, &v, 2);
	return v;
}

uint32_t vt_r32(uint64_t gpa)
{
	uint32_t v = 0;
	gmem_read(&vt_mem.gmem, gpa, &v, 4);
	return v;
}

void vt_desc(uint64_t desc, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
	     uint16_t next)
{
	uint8_t d[16];
	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
	gmem_write(&vt_mem.gmem, desc + 16ull * i, d, 16);
}

void vt_offer(uint64_t avail, uint16_t idx, uint16_t head)
{
	vt_w16(avail + 4 + 2u * (idx % VT_QSZ), head);
	vt_w16(avail + 2, (uint16_t)(idx + 1));
}

void vt_modern_features(uint32_t word0)
{
	VT_MW(VIRTIO_COMMON_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	VT_MW(VIRTIO_COMMON_GFSELECT, 4, 0);
	VT_MW(VIRTIO_COMMON_GF, 4, word0);
	VT_MW(VIRTIO_COMMON_GFSELECT, 4, 1);
	VT_MW(VIRTIO_COMMON_GF, 4, 1); /* VERSION_1 */
	VT_MW(VIRTIO_COMMON_STATUS, 1, 0x0b);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_STATUS, 1), 0x0b);
}

void vt_modern_queue(unsigned q)
{
	VT_MW(VIRTIO_COMMON_Q_SELECT, 2, q);
	VT_MW(VIRTIO_COMMON_Q_SIZE, 2, VT_QSZ);
	VT_MW(VIRTIO_COMMON_Q_DESC, 8, VT_DESC + q * 0x10000ull);
	VT_MW(VIRTIO_COMMON_Q_AVAIL, 8, VT_AVAIL + q * 0x10000ull);
	VT_MW(VIRTIO_COMMON_Q_USED, 8, VT_USED + q * 0x10000ull);
	VT_MW(VIRTIO_COMMON_Q_ENABLE, 2, 1);
	ck_assert_uint_eq(VT_M(VIRTIO_COMMON_Q_ENABLE, 2), 1);
}

void vt_modern_kick(unsigned q)
{
	VT_MW(VIRTIO_MODERN_NOTIFY + q * VIRTIO_MODERN_NOTIFY_MULT, 2, q);
}
