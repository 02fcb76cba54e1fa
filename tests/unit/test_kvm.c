// SPDX-License-Identifier: BSD-2-Clause
/*
 * KVM routing table, irqfd, ioeventfd, KVM_SIGNAL_MSI, and MSI-X over KVM
 * routes. Needs a /dev/kvm that can create a VM (no guest is run); skipped
 * (exit 77) without one.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "khyve/kvm.h"
#include "khyve/pci.h"

#define PC_ROUTES (15 + 23) /* PIC pins but the cascade, I/O APIC pins but 2 */

static struct kvm kvm;

static void setup(void)
{
	ck_assert_int_eq(kvm_open(&kvm, "/dev/kvm"), 0);
	ck_assert_int_eq(kvm_setup_platform(&kvm), 0);
}

static void teardown(void)
{
	kvm_close(&kvm);
}

static const struct kvm_irq_routing_entry *route(unsigned gsi)
{
	for (unsigned i = 0; i < kvm.nroutes; i++)
		if (kvm.routes[i].gsi == gsi && kvm.routes[i].type == KVM_IRQ_ROUTING_MSI)
			return &kvm.routes[i];
	return NULL;
}

static unsigned msi_routes(void)
{
	unsigned n = 0;
	for (unsigned i = 0; i < kvm.nroutes; i++)
		n += kvm.routes[i].type == KVM_IRQ_ROUTING_MSI;
	return n;
}

START_TEST(msi_routes_in_one_table)
{
	ck_assert_uint_eq(kvm.nroutes, PC_ROUTES);
	ck_assert_uint_gt(kvm.max_gsi, KVM_MSI_GSI_BASE);
	ck_assert_int_eq(kvm_msi_route_add(&kvm, 0xfee00000, 0x41), 24);
	ck_assert_int_eq(kvm_msi_route_add(&kvm, 0x1fee01000ull, 0x42), 25);
	ck_assert_uint_eq(kvm.nroutes, PC_ROUTES + 2);
	const struct kvm_irq_routing_entry *e = route(25);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->u.msi.address_lo, 0xfee01000);
	ck_assert_uint_eq(e->u.msi.address_hi, 1);
	ck_assert_uint_eq(e->u.msi.data, 0x42);
	ck_assert_int_eq(kvm_msi_route_update(&kvm, 24, 0xfee02000, 0x51), 0);
	ck_assert_uint_eq(route(24)->u.msi.address_lo, 0xfee02000);
	ck_assert_uint_eq(route(24)->u.msi.data, 0x51);
	/* the PC's routes are not MSI routes; unknown GSIs are not there */
	ck_assert_int_eq(kvm_msi_route_update(&kvm, 5, 0xfee00000, 1), -ENOENT);
	ck_assert_int_eq(kvm_msi_route_update(&kvm, 99, 0xfee00000, 1), -ENOENT);
	ck_assert_int_eq(kvm_msi_route_del(&kvm, 5), -ENOENT);
	ck_assert_int_eq(kvm_msi_route_del(&kvm, 24), 0);
	ck_assert_int_eq(kvm_msi_route_del(&kvm, 24), -ENOENT);
	ck_assert_ptr_null(route(24));
	ck_assert_ptr_nonnull(route(25));
	/* the lowest free GSI is reused */
	ck_assert_int_eq(kvm_msi_route_add(&kvm, 0xfee00000, 0x43), 24);
	ck_assert_uint_eq(kvm.nroutes, PC_ROUTES + 2);
	ck_assert_uint_eq(msi_routes(), 2);
}
END_TEST

START_TEST(msi_routes_run_out)
{
	kvm.max_gsi = KVM_MSI_GSI_BASE + 4;
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(kvm_msi_route_add(&kvm, 0xfee00000, (uint32_t)i), 24 + i);
	ck_assert_int_eq(kvm_msi_route_add(&kvm, 0xfee00000, 9), -ENOSPC);
	ck_assert_int_eq(kvm_msi_route_del(&kvm, 26), 0);
	ck_assert_int_eq(kvm_msi_route_add(&kvm, 0xfee00000, 9), 26);
	kvm.max_gsi = KVM_MSI_GSI_BASE;
	ck_assert_int_eq(kvm_msi_route_add(&kvm, 0xfee00000, 9), -ENOSPC);
}
END_TEST

START_TEST(irqfd_assign_deassign)
{
	int gsi = kvm_msi_route_add(&kvm, 0xfee00000, 0x30);
	ck_assert_int_ge(gsi, 24);
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ck_assert_int_ge(efd, 0);
	ck_assert_int_eq(kvm_irqfd(&kvm, efd, (unsigned)gsi, true), 0);
	ck_assert_int_eq(kvm_irqfd(&kvm, efd, (unsigned)gsi, true), -EBUSY);
	uint64_t one = 1;
	ck_assert_int_eq(write(efd, &one, sizeof(one)), sizeof(one));
	ck_assert_int_eq(kvm_irqfd(&kvm, efd, (unsigned)gsi, false), 0);
	ck_assert_int_eq(kvm_irqfd(&kvm, efd, (unsigned)gsi, true), 0); /* free again */
	ck_assert_int_eq(kvm_irqfd(&kvm, efd, (unsigned)gsi, false), 0);
	ck_assert_int_eq(kvm_irqfd(&kvm, -1, (unsigned)gsi, true), -EBADF);
	close(efd);
}
END_TEST

START_TEST(ioeventfd_pio_mmio_datamatch)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ck_assert_int_ge(efd, 0);
	ck_assert_int_eq(kvm_ioeventfd(&kvm, 0xd010, 2, true, true, 5, efd, true), 0);
	ck_assert_int_eq(kvm_ioeventfd(&kvm, 0xd010, 2, true, true, 5, efd, true), -EEXIST);
	ck_assert_int_eq(kvm_ioeventfd(&kvm, 0xd010, 2, true, true, 6, efd, true), 0);
	ck_assert_int_eq(kvm_ioeventfd(&kvm, 0xd010, 2, true, true, 5, efd, false), 0);
	ck_assert_int_eq(kvm_ioeventfd(&kvm, 0xd010, 2, true, true, 5, efd, false), -ENOENT);
	ck_assert_int_eq(kvm_ioeventfd(&kvm, 0xd010, 2, true, true, 6, efd, false), 0);
	/* MMIO without a match, and any length */
	ck_assert_int_eq(kvm_ioeventfd(&kvm, 0xc0003000, 4, false, false, 0, efd, true), 0);
	ck_assert_int_eq(kvm_ioeventfd(&kvm, 0xc0003000, 4, false, false, 0, efd, false), 0);
	ck_assert_int_eq(kvm_ioeventfd(&kvm, 0xc0004000, 0, false, false, 0, efd, true), 0);
	ck_assert_int_eq(kvm_ioeventfd(&kvm, 0xc0004000, 0, false, false, 0, efd, false), 0);
	/* lengths KVM does not know */
	ck_assert_int_eq(kvm_ioeventfd(&kvm, 0xd010, 3, true, false, 0, efd, true), -EINVAL);
	ck_assert_int_eq(kvm_ioeventfd(&kvm, 0xd010, 0, true, false, 0, efd, true), -EINVAL);
	ck_assert_int_eq(kvm_ioeventfd(&kvm, 0xc0004000, 0, false, true, 1, efd, true), -EINVAL);
	close(efd);
}
END_TEST

START_TEST(signal_msi)
{
	struct kvm_vcpu_fd v = {.fd = -1};
	ck_assert_int_eq(kvm_vcpu_create(&kvm, 0, &v), 0);
	ck_assert_int_eq(kvm_signal_msi(&kvm, 0xfee00000, 0x30), 0);
	kvm_vcpu_destroy(&kvm, &v);
}
END_TEST

/* MSI-X over KVM: an unmasked vector gets a route and an irqfd; msi_send is not used. */
static unsigned nsent;

static int count_send(void *arg, uint64_t addr, uint32_t data)
{
	nsent++;
	return 0;
}

static void tbl_wr(struct pci_dev *d, uint64_t off, uint32_t v)
{
	pci_msix_table_access(d, off, (uint8_t *)&v, 4, true);
}

START_TEST(msix_over_kvm_routes)
{
	struct pci_root root;
	pci_root_init(&root);
	root.kvm = &kvm;
	root.msi_send = count_send;
	nsent = 0;
	struct pci_dev *d = pci_dev_add(&root, 4, 0, NULL);
	ck_assert_int_eq(pci_msix_init(d, 2, 1, 0, 0x800), 0);
	pci_cfg_write(&root, 0, 4, 0, 0x42, 2, 0x8000); /* MSI-X enable */
	tbl_wr(d, 0, 0xfee00000);
	tbl_wr(d, 8, 0x4061);
	ck_assert_uint_eq(msi_routes(), 0); /* masked: no route yet */
	tbl_wr(d, 12, 0);
	ck_assert_uint_eq(msi_routes(), 1);
	const struct kvm_irq_routing_entry *e = route(24);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->u.msi.address_lo, 0xfee00000);
	ck_assert_uint_eq(e->u.msi.data, 0x4061);
	ck_assert_int_eq(pci_msix_notify(d, 0), 0);
	ck_assert_uint_eq(nsent, 0); /* through the irqfd */
	/* the route follows the entry while it is unmasked */
	tbl_wr(d, 8, 0x4062);
	ck_assert_uint_eq(route(24)->u.msi.data, 0x4062);
	ck_assert_uint_eq(msi_routes(), 1);
	/* a masked vector pends without a route; unmasked, it is routed and sent */
	tbl_wr(d, 16, 0xfee00000);
	tbl_wr(d, 24, 0x4070);
	ck_assert_int_eq(pci_msix_notify(d, 1), 0);
	ck_assert_uint_eq(msi_routes(), 1);
	tbl_wr(d, 28, 0);
	ck_assert_uint_eq(msi_routes(), 2);
	ck_assert_uint_eq(route(25)->u.msi.data, 0x4070);
	ck_assert_uint_eq(nsent, 0);
	pci_dev_release_irqs(d);
	ck_assert_uint_eq(msi_routes(), 0);
	ck_assert_uint_eq(kvm.nroutes, PC_ROUTES);
	/* no GSI to be had: msi_send instead */
	kvm.max_gsi = KVM_MSI_GSI_BASE;
	ck_assert_int_eq(pci_msix_notify(d, 0), 0);
	ck_assert_uint_eq(nsent, 1);
	pci_root_fini(&root);
}
END_TEST

/* MSI (for -W) uses routes the same way, one per enabled vector. */
START_TEST(msi_over_kvm_routes)
{
	struct pci_root root;
	pci_root_init(&root);
	root.kvm = &kvm;
	root.msi_send = count_send;
	nsent = 0;
	struct pci_dev *d = pci_dev_add(&root, 4, 0, NULL);
	ck_assert_int_eq(pci_msi_init(d, 2), 0);
	pci_cfg_write(&root, 0, 4, 0, 0x44, 4, 0xfee00000);
	pci_cfg_write(&root, 0, 4, 0, 0x4c, 2, 0x4080);
	ck_assert_uint_eq(msi_routes(), 0);
	pci_cfg_write(&root, 0, 4, 0, 0x42, 2, 0x0011); /* enable, 2 vectors */
	ck_assert_uint_eq(msi_routes(), 2);
	ck_assert_int_eq(pci_msi_notify(d, 1), 0);
	ck_assert_uint_eq(nsent, 0);
	unsigned found = 0;
	for (unsigned g = 24; g < 26; g++)
		if (route(g) && route(g)->u.msi.data == 0x4080 + (g - 24))
			found++;
	ck_assert_uint_eq(found, 2);
	pci_dev_release_irqs(d);
	ck_assert_uint_eq(msi_routes(), 0);
	pci_root_fini(&root);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kvm");
	TCase *tc = tcase_create("routing");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, msi_routes_in_one_table);
	tcase_add_test(tc, msi_routes_run_out);
	tcase_add_test(tc, irqfd_assign_deassign);
	tcase_add_test(tc, ioeventfd_pio_mmio_datamatch);
	tcase_add_test(tc, signal_msi);
	tcase_add_test(tc, msix_over_kvm_routes);
	tcase_add_test(tc, msi_over_kvm_routes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	struct kvm k;
	int rc = kvm_open(&k, "/dev/kvm");
	if (rc == 0) {
		rc = kvm_setup_platform(&k);
		kvm_close(&k);
	}
	if (rc < 0) {
		printf("SKIP: no usable /dev/kvm (cannot create a VM with an irqchip: %s)\n",
		       strerror(-rc));
		return 77;
	}
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
