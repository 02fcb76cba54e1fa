// SPDX-License-Identifier: BSD-2-Clause
/* MSI-X and MSI without KVM: capability, table and PBA, masking, delivery through msi_send. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "check_main.h"
#include "khyve/pci.h"

#define SLOT 5
#define NVEC 4
#define TABLE_OFF 0x2000
#define PBA_OFF 0x3000

static struct pci_root root;
static struct pci_dev *dev;

/* Messages msi_send was asked to deliver. */
#define MAX_SENT 64
static unsigned nsent;
static uint64_t sent_addr[MAX_SENT];
static uint32_t sent_data[MAX_SENT];
static int send_rc;

static int fake_msi_send(void *arg, uint64_t addr, uint32_t data)
{
	ck_assert_ptr_eq(arg, &root);
	if (nsent < MAX_SENT) {
		sent_addr[nsent] = addr;
		sent_data[nsent] = data;
	}
	__atomic_add_fetch(&nsent, 1, __ATOMIC_RELAXED);
	return send_rc;
}

static void setup(void)
{
	pci_root_init(&root);
	root.msi_send = fake_msi_send;
	root.irq_arg = &root;
	dev = pci_dev_add(&root, SLOT, 0, NULL);
	nsent = 0;
	send_rc = 0;
}

static void teardown(void)
{
	pci_root_fini(&root);
}

static uint32_t cfg_rd(unsigned off, unsigned size)
{
	return pci_cfg_read(&root, 0, SLOT, 0, off, size);
}

static void cfg_wr(unsigned off, unsigned size, uint32_t v)
{
	pci_cfg_write(&root, 0, SLOT, 0, off, size, v);
}

static uint32_t tbl_rd(uint64_t off)
{
	uint32_t v = 0xdeadbeef;
	pci_msix_table_access(dev, off, (uint8_t *)&v, 4, false);
	return v;
}

static void tbl_wr(uint64_t off, uint32_t v)
{
	pci_msix_table_access(dev, off, (uint8_t *)&v, 4, true);
}

static uint64_t pba_rd(void)
{
	uint64_t v = ~0ull;
	pci_msix_pba_access(dev, 0, (uint8_t *)&v, 8, false);
	return v;
}

/* The offset of capability id, walking the list from 0x34 (bounded). */
static unsigned find_cap(uint8_t id)
{
	if (!(cfg_rd(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return 0;
	unsigned p = cfg_rd(PCI_CAPABILITY_LIST, 1);
	for (unsigned n = 0; p && n < 48; n++) {
		if (cfg_rd(p, 1) == id)
			return p;
		p = cfg_rd(p + 1, 1);
	}
	return 0;
}

static void msix_setup(void)
{
	setup();
	ck_assert_int_eq(pci_msix_init(dev, NVEC, 2, TABLE_OFF, PBA_OFF), 0);
}

/* Program vector v with a message, and leave it as the test says. */
static void program(unsigned v, uint64_t addr, uint32_t data, bool masked)
{
	tbl_wr(v * 16 + 0, (uint32_t)addr);
	tbl_wr(v * 16 + 4, (uint32_t)(addr >> 32));
	tbl_wr(v * 16 + 8, data);
	tbl_wr(v * 16 + 12, masked);
}

static unsigned msix_cap(void)
{
	return find_cap(PCI_CAP_ID_MSIX);
}

static void msix_ctrl(uint16_t v)
{
	cfg_wr(msix_cap() + 2, 2, v);
}

START_TEST(msix_capability)
{
	unsigned c = msix_cap();
	ck_assert_uint_eq(c, 0x40);
	ck_assert_uint_eq(cfg_rd(c + 2, 2), NVEC - 1);
	ck_assert_uint_eq(cfg_rd(c + 4, 4), TABLE_OFF | 2);
	ck_assert_uint_eq(cfg_rd(c + 8, 4), PBA_OFF | 2);
	/* only enable and function mask are writable */
	cfg_wr(c + 2, 2, 0xffff);
	ck_assert_uint_eq(cfg_rd(c + 2, 2), 0xc000 | (NVEC - 1));
	ck_assert(pci_msix_enabled(dev));
	cfg_wr(c + 4, 4, 0xffffffff);
	ck_assert_uint_eq(cfg_rd(c + 4, 4), TABLE_OFF | 2);
	cfg_wr(c, 4, 0);
	ck_assert(!pci_msix_enabled(dev));
	ck_assert_uint_eq(cfg_rd(c, 1), PCI_CAP_ID_MSIX);
	/* sizes */
	ck_assert_uint_eq(pci_msix_table_size(NVEC), 64);
	ck_assert_uint_eq(pci_msix_pba_size(NVEC), 8);
	ck_assert_uint_eq(pci_msix_pba_size(64), 8);
	ck_assert_uint_eq(pci_msix_pba_size(65), 16);
	ck_assert_int_eq(pci_msix_init(dev, NVEC, 2, 0, 0x100), -EINVAL); /* one only */
}
END_TEST

static void bar_nop(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
}

START_TEST(msix_init_rejects)
{
	struct pci_dev *d = pci_dev_add(&root, 6, 0, NULL);
	ck_assert_int_eq(pci_msix_init(d, 0, 0, 0, 0x1000), -EINVAL);
	ck_assert_int_eq(pci_msix_init(d, 2049, 0, 0, 0x10000), -EINVAL);
	ck_assert_int_eq(pci_msix_init(d, 4, 6, 0, 0x1000), -EINVAL);
	ck_assert_int_eq(pci_msix_init(d, 4, 0, 4, 0x1000), -EINVAL); /* BIR bits */
	ck_assert_int_eq(pci_msix_init(d, 4, 0, 0, 0x1004), -EINVAL);
	ck_assert_int_eq(pci_msix_init(d, 4, 0, 0, 0x38), -EINVAL);    /* PBA inside the table */
	ck_assert_int_eq(pci_msix_init(d, 4, 0, 0x40, 0x78), -EINVAL); /* PBA in the table */
	ck_assert_ptr_null(d->msix);
	ck_assert_uint_eq(d->cfg[PCI_CAPABILITY_LIST], 0);
	/* with the BAR known, the table must fit in it */
	struct pci_root r2;
	pci_root_init(&r2);
	r2.mem32_base = 0xc0000000;
	r2.mem32_limit = 0xe0000000;
	struct pci_dev *e = pci_dev_add(&r2, 1, 0, NULL);
	ck_assert_int_eq(pci_bar_add(e, 0, PCI_BAR_MEM32, 0x1000, bar_nop, NULL), 0);
	ck_assert_int_eq(pci_msix_init(e, 64, 0, 0xe00, 0x800), -EINVAL);
	ck_assert_int_eq(pci_msix_init(e, 64, 0, 0x800, 0x1000), -EINVAL);
	ck_assert_int_eq(pci_msix_init(e, 64, 0, 0x800, 0xc00), 0);
	pci_root_fini(&r2);
}
END_TEST

START_TEST(msix_table_read_write)
{
	/* vectors start masked, with nothing in them */
	for (unsigned v = 0; v < NVEC; v++) {
		ck_assert_uint_eq(tbl_rd(v * 16 + 12), 1);
		ck_assert_uint_eq(tbl_rd(v * 16 + 8), 0);
	}
	program(2, 0x12fee0100cull, 0x4041, false);
	ck_assert_uint_eq(tbl_rd(32), 0xfee0100c);
	ck_assert_uint_eq(tbl_rd(36), 0x12);
	ck_assert_uint_eq(tbl_rd(40), 0x4041);
	ck_assert_uint_eq(tbl_rd(44), 0);
	/* the address's low two bits and vector control's reserved bits read 0 */
	tbl_wr(32, 0xfee00003);
	tbl_wr(44, 0xfffffffe);
	ck_assert_uint_eq(tbl_rd(32), 0xfee00000);
	ck_assert_uint_eq(tbl_rd(44), 0);
	/* qword on the address pair, and on data + vector control */
	uint64_t q = 0x00000001fee02000ull;
	pci_msix_table_access(dev, 16, (uint8_t *)&q, 8, true);
	q = 0x0000000100000055ull;
	pci_msix_table_access(dev, 24, (uint8_t *)&q, 8, true);
	ck_assert_uint_eq(tbl_rd(16), 0xfee02000);
	ck_assert_uint_eq(tbl_rd(20), 1);
	ck_assert_uint_eq(tbl_rd(24), 0x55);
	ck_assert_uint_eq(tbl_rd(28), 1);
	q = 0;
	pci_msix_table_access(dev, 16, (uint8_t *)&q, 8, false);
	ck_assert_uint_eq(q, 0x00000001fee02000ull);
}
END_TEST

/* BAD-INPUTS Q3: odd sizes and misaligned accesses are ignored and read 0. */
START_TEST(msix_table_odd_sizes)
{
	program(0, 0xfee00000, 0x30, true);
	uint32_t v = 0xffffffff;
	for (unsigned size = 1; size <= 3; size++) {
		pci_msix_table_access(dev, 8, (uint8_t *)&v, size, true);
		ck_assert_uint_eq(tbl_rd(8), 0x30);
		uint32_t r = 0xa5a5a5a5;
		pci_msix_table_access(dev, 8, (uint8_t *)&r, size, false);
		ck_assert_uint_eq(r & ((1u << (8 * size)) - 1), 0);
	}
	/* misaligned dword and qword */
	pci_msix_table_access(dev, 2, (uint8_t *)&v, 4, true);
	ck_assert_uint_eq(tbl_rd(0), 0xfee00000);
	uint64_t q = ~0ull;
	pci_msix_table_access(dev, 4, (uint8_t *)&q, 8, true);
	ck_assert_uint_eq(tbl_rd(4), 0);
	ck_assert_uint_eq(tbl_rd(8), 0x30);
	pci_msix_table_access(dev, 4, (uint8_t *)&q, 8, false);
	ck_assert_uint_eq(q, 0);
	ck_assert_uint_eq(tbl_rd(6), 0);
	/* an oversized access does not overrun anything */
	uint8_t big[16];
	memset(big, 0xff, sizeof(big));
	pci_msix_table_access(dev, 0, big, 16, true);
	ck_assert_uint_eq(tbl_rd(0), 0xfee00000);
	/* PBA: same rules, and read-only */
	ck_assert_int_eq(pci_msix_notify(dev, 0), 0);
	ck_assert_uint_eq(pba_rd(), 1);
	uint32_t p = 0;
	pci_msix_pba_access(dev, 0, (uint8_t *)&p, 4, true);
	ck_assert_uint_eq(pba_rd(), 1);
	uint16_t w = 0xffff;
	pci_msix_pba_access(dev, 0, (uint8_t *)&w, 2, false);
	ck_assert_uint_eq(w, 0);
	p = 0xffffffff;
	pci_msix_pba_access(dev, 4, (uint8_t *)&p, 4, false);
	ck_assert_uint_eq(p, 0);
	pci_msix_pba_access(dev, 0x1000, (uint8_t *)&p, 4, false);
	ck_assert_uint_eq(p, 0);
}
END_TEST

/* BAD-INPUTS Q4: entries past the table are ignored; so is notify of a vector past it. */
START_TEST(msix_index_out_of_range)
{
	tbl_wr(NVEC * 16 + 8, 0x1234);
	tbl_wr(NVEC * 16 + 12, 0);
	ck_assert_uint_eq(tbl_rd(NVEC * 16 + 8), 0);
	ck_assert_uint_eq(tbl_rd(NVEC * 16 + 12), 0);
	ck_assert_uint_eq(tbl_rd(0xfffffffffffffff0ull), 0);
	tbl_wr(0xfffffffffffffff0ull, 1);
	for (unsigned v = 0; v < NVEC; v++)
		ck_assert_uint_eq(tbl_rd(v * 16 + 8), 0);
	ck_assert_int_eq(pci_msix_notify(dev, NVEC), -EINVAL);
	ck_assert_int_eq(pci_msix_notify(dev, 0xffffffffu), -EINVAL);
	ck_assert_uint_eq(pba_rd(), 0);
	ck_assert_uint_eq(nsent, 0);
	/* a device without MSI-X */
	struct pci_dev *d = pci_dev_add(&root, 7, 0, NULL);
	ck_assert_int_eq(pci_msix_notify(d, 0), -EINVAL);
	ck_assert(!pci_msix_enabled(d));
	uint32_t v = 0x55;
	pci_msix_table_access(d, 0, (uint8_t *)&v, 4, false);
	ck_assert_uint_eq(v, 0);
}
END_TEST

START_TEST(msix_masked_vector_pends_then_sends_once)
{
	msix_ctrl(0x8000);
	program(1, 0xfee01000, 0x4021, true);
	ck_assert_int_eq(pci_msix_notify(dev, 1), 0);
	ck_assert_int_eq(pci_msix_notify(dev, 1), 0); /* still one pending bit */
	ck_assert_uint_eq(nsent, 0);
	ck_assert_uint_eq(pba_rd(), 0x2);
	tbl_wr(16 + 12, 0); /* unmask */
	ck_assert_uint_eq(nsent, 1);
	ck_assert_uint_eq(sent_addr[0], 0xfee01000);
	ck_assert_uint_eq(sent_data[0], 0x4021);
	ck_assert_uint_eq(pba_rd(), 0);
	tbl_wr(16 + 12, 0); /* unmasked again: nothing pending, nothing sent */
	ck_assert_uint_eq(nsent, 1);
	ck_assert_int_eq(pci_msix_notify(dev, 1), 0);
	ck_assert_uint_eq(nsent, 2);
	ck_assert_uint_eq(sent_data[1], 0x4021);
	/* the message follows the entry */
	tbl_wr(16 + 8, 0x4022);
	ck_assert_int_eq(pci_msix_notify(dev, 1), 0);
	ck_assert_uint_eq(sent_data[2], 0x4022);
	/* masking again holds it back */
	tbl_wr(16 + 12, 1);
	ck_assert_int_eq(pci_msix_notify(dev, 1), 0);
	ck_assert_uint_eq(nsent, 3);
	ck_assert_uint_eq(pba_rd(), 0x2);
	/* msi_send's error is passed on */
	tbl_wr(16 + 12, 0);
	ck_assert_uint_eq(nsent, 4);
	send_rc = -EIO;
	ck_assert_int_eq(pci_msix_notify(dev, 1), -EIO);
}
END_TEST

START_TEST(msix_function_mask)
{
	msix_ctrl(0xc000); /* enabled, function masked */
	program(0, 0xfee00000, 0x31, false);
	program(3, 0xfee00000, 0x34, false);
	ck_assert_int_eq(pci_msix_notify(dev, 0), 0);
	ck_assert_int_eq(pci_msix_notify(dev, 3), 0);
	ck_assert_uint_eq(nsent, 0);
	ck_assert_uint_eq(pba_rd(), 0x9);
	/* the vector's own mask bit still reads as the guest set it */
	ck_assert_uint_eq(tbl_rd(12), 0);
	msix_ctrl(0x8000);
	ck_assert_uint_eq(nsent, 2);
	ck_assert_uint_eq(pba_rd(), 0);
	ck_assert(sent_data[0] == 0x31 || sent_data[1] == 0x31);
	ck_assert(sent_data[0] == 0x34 || sent_data[1] == 0x34);
	/* function masked while a vector is masked too: unmasking the function alone sends nothing
	 */
	msix_ctrl(0xc000);
	tbl_wr(12, 1);
	ck_assert_int_eq(pci_msix_notify(dev, 0), 0);
	msix_ctrl(0x8000);
	ck_assert_uint_eq(nsent, 2);
	ck_assert_uint_eq(pba_rd(), 0x1);
	tbl_wr(12, 0);
	ck_assert_uint_eq(nsent, 3);
}
END_TEST

START_TEST(msix_disabled)
{
	program(2, 0xfee00000, 0x42, false);
	ck_assert(!pci_msix_enabled(dev));
	ck_assert_int_eq(pci_msix_notify(dev, 2), 0);
	ck_assert_uint_eq(nsent, 0);
	ck_assert_uint_eq(pba_rd(), 0x4);
	/* a config write elsewhere does not enable it */
	cfg_wr(PCI_COMMAND, 2, 0x6);
	ck_assert_uint_eq(nsent, 0);
	msix_ctrl(0x8000);
	ck_assert_uint_eq(nsent, 1);
	ck_assert_uint_eq(sent_data[0], 0x42);
	msix_ctrl(0);
	ck_assert_int_eq(pci_msix_notify(dev, 2), 0);
	ck_assert_uint_eq(nsent, 1);
	/* without msi_send (and without KVM) nothing can be sent */
	root.msi_send = NULL;
	msix_ctrl(0x8000);
	ck_assert_int_eq(pci_msix_notify(dev, 2), -ENOSYS);
}
END_TEST

struct storm {
	unsigned vec, n;
};

static void *notifier(void *arg)
{
	struct storm *s = arg;
	for (unsigned i = 0; i < s->n; i++)
		pci_msix_notify(dev, s->vec);
	return NULL;
}

/* Notifications from several threads while the guest masks and unmasks: none lost after unmask. */
START_TEST(msix_concurrent_notify)
{
	msix_ctrl(0x8000);
	for (unsigned v = 0; v < NVEC; v++)
		program(v, 0xfee00000, 0x50 + v, false);
	pthread_t t[NVEC];
	struct storm s[NVEC];
	for (unsigned v = 0; v < NVEC; v++) {
		s[v] = (struct storm){v, 2000};
		pthread_create(&t[v], NULL, notifier, &s[v]);
	}
	for (unsigned i = 0; i < 200; i++) {
		tbl_wr((i % NVEC) * 16 + 12, i & 1);
		msix_ctrl(i % 3 ? 0x8000 : 0xc000);
	}
	for (unsigned v = 0; v < NVEC; v++)
		pthread_join(t[v], NULL);
	msix_ctrl(0x8000);
	for (unsigned v = 0; v < NVEC; v++)
		tbl_wr(v * 16 + 12, 0);
	ck_assert_uint_eq(pba_rd(), 0);
	ck_assert_uint_ge(nsent, 1);
	ck_assert_uint_le(nsent, NVEC * 2000);
}
END_TEST

/* MSI */

static unsigned msi_cap(void)
{
	return find_cap(PCI_CAP_ID_MSI);
}

START_TEST(msi_capability)
{
	ck_assert_int_eq(pci_msi_init(dev, 4), 0);
	unsigned c = msi_cap();
	ck_assert_uint_eq(c, 0x40);
	/* 64-bit, per-vector masking, 4 vectors capable, none enabled */
	ck_assert_uint_eq(cfg_rd(c + 2, 2), 0x0184);
	cfg_wr(c + 2, 2, 0xffff);
	ck_assert_uint_eq(cfg_rd(c + 2, 2), 0x01f5);
	ck_assert(pci_msi_enabled(dev));
	cfg_wr(c + 4, 4, 0xffffffff);
	ck_assert_uint_eq(cfg_rd(c + 4, 4), 0xfffffffc);
	cfg_wr(c + 12, 4, 0xffffffff);
	ck_assert_uint_eq(cfg_rd(c + 12, 4), 0xffff);
	cfg_wr(c + 16, 4, 0xffffffff);
	ck_assert_uint_eq(cfg_rd(c + 16, 4), 0xf);
	cfg_wr(c + 20, 4, 0xffffffff); /* pending: read-only */
	ck_assert_uint_eq(cfg_rd(c + 20, 4), 0);
	cfg_wr(c + 2, 2, 0);
	ck_assert(!pci_msi_enabled(dev));
	/* MSI next to MSI-X in one list */
	ck_assert_int_eq(pci_msix_init(dev, 1, 0, 0, 0x800), 0);
	ck_assert_uint_eq(msix_cap(), 0x58);
	ck_assert_uint_eq(cfg_rd(c + 1, 1), 0x58);
	ck_assert_int_eq(pci_msi_init(dev, 4), -EINVAL); /* one only */
	struct pci_dev *d = pci_dev_add(&root, 6, 0, NULL);
	ck_assert_int_eq(pci_msi_init(d, 0), -EINVAL);
	ck_assert_int_eq(pci_msi_init(d, 3), -EINVAL);
	ck_assert_int_eq(pci_msi_init(d, 64), -EINVAL);
	ck_assert_int_eq(pci_msi_init(d, 32), 0);
	ck_assert_uint_eq(pci_cfg_read(&root, 0, 6, 0, 0x42, 2), 0x018a);
	ck_assert_int_eq(pci_msi_notify(d, 32), -EINVAL);
}
END_TEST

START_TEST(msi_delivery)
{
	ck_assert_int_eq(pci_msi_init(dev, 4), 0);
	unsigned c = msi_cap();
	cfg_wr(c + 4, 4, 0xfee01000);
	cfg_wr(c + 8, 4, 0x1);
	cfg_wr(c + 12, 2, 0x4423);
	ck_assert_int_eq(pci_msi_notify(dev, 0), -EAGAIN); /* not enabled */
	cfg_wr(c + 2, 2, 0x0021);			   /* enabled, 4 vectors */
	ck_assert_int_eq(pci_msi_notify(dev, 3), 0);
	ck_assert_int_eq(pci_msi_notify(dev, 0), 0);
	ck_assert_uint_eq(nsent, 2);
	ck_assert_uint_eq(sent_addr[0], 0x1fee01000ull);
	ck_assert_uint_eq(sent_data[0], 0x4423); /* vector 3 in the low two bits */
	ck_assert_uint_eq(sent_data[1], 0x4420);
	/* masked: pending, visible in config space, sent once at unmask */
	cfg_wr(c + 16, 4, 0x2);
	ck_assert_int_eq(pci_msi_notify(dev, 1), 0);
	ck_assert_int_eq(pci_msi_notify(dev, 1), 0);
	ck_assert_uint_eq(nsent, 2);
	ck_assert_uint_eq(cfg_rd(c + 20, 4), 0x2);
	ck_assert_uint_eq(cfg_rd(c + 20, 1), 0x2);
	ck_assert_uint_eq(cfg_rd(c + 16, 4), 0x2);
	cfg_wr(c + 16, 4, 0);
	ck_assert_uint_eq(nsent, 3);
	ck_assert_uint_eq(sent_data[2], 0x4421);
	ck_assert_uint_eq(cfg_rd(c + 20, 4), 0);
	/* one vector enabled: the others send nothing */
	cfg_wr(c + 2, 2, 0x0001);
	ck_assert_int_eq(pci_msi_notify(dev, 1), -EAGAIN);
	ck_assert_int_eq(pci_msi_notify(dev, 0), 0);
	ck_assert_uint_eq(sent_data[3], 0x4423); /* all 16 bits are the guest's */
	/* more than offered: as many as offered */
	cfg_wr(c + 2, 2, 0x0051);
	ck_assert_int_eq(pci_msi_notify(dev, 3), 0);
	ck_assert_uint_eq(sent_data[4], 0x4423);
	ck_assert_uint_eq(nsent, 5);
	/* disabled while pending: nothing until enabled and unmasked */
	cfg_wr(c + 16, 4, 0x1);
	ck_assert_int_eq(pci_msi_notify(dev, 0), 0);
	cfg_wr(c + 2, 2, 0x0020);
	cfg_wr(c + 16, 4, 0x0);
	ck_assert_uint_eq(nsent, 5);
	ck_assert_uint_eq(cfg_rd(c + 20, 4), 0x1);
	cfg_wr(c + 2, 2, 0x0021);
	ck_assert_uint_eq(nsent, 6);
	ck_assert_uint_eq(sent_data[5], 0x4420);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pci_msix");
	TCase *tc = tcase_create("msix");
	tcase_add_checked_fixture(tc, msix_setup, teardown);
	tcase_add_test(tc, msix_capability);
	tcase_add_test(tc, msix_table_read_write);
	tcase_add_test(tc, msix_table_odd_sizes);
	tcase_add_test(tc, msix_index_out_of_range);
	tcase_add_test(tc, msix_masked_vector_pends_then_sends_once);
	tcase_add_test(tc, msix_function_mask);
	tcase_add_test(tc, msix_disabled);
	tcase_add_test(tc, msix_concurrent_notify);
	suite_add_tcase(s, tc);
	tc = tcase_create("msi");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, msix_init_rejects);
	tcase_add_test(tc, msi_capability);
	tcase_add_test(tc, msi_delivery);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
