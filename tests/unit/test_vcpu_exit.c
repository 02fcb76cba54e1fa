// SPDX-License-Identifier: BSD-2-Clause
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "khyve/vcpu.h"

static uint8_t seen[64];
static unsigned nseen;
static uint64_t last_mmio_off;

static void port(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	if (is_write) {
		for (unsigned i = 0; i < size && nseen < sizeof(seen); i++)
			seen[nseen++] = data[i];
	} else {
		memset(data, 0x42, size);
	}
}

static void mmio(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	last_mmio_off = off;
	if (!is_write)
		memcpy(data, "\x11\x22\x33\x44\x55\x66\x77\x88", size);
}

static struct iobus pio, mm;
static struct kvm_run *run;
static struct exit_env env;

static void setup(void)
{
	iobus_init(&pio);
	iobus_init(&mm);
	iobus_register(&pio, 0x3f8, 8, port, NULL);
	iobus_register(&mm, 0xfed00000, 0x1000, mmio, NULL);
	run = aligned_alloc(4096, 4096);
	memset(run, 0, 4096);
	env = (struct exit_env){.pio = &pio, .mmio = &mm};
	nseen = 0;
}

static void teardown(void)
{
	free(run);
	iobus_fini(&pio);
	iobus_fini(&mm);
}

static enum exit_result handle(int *code, char *msg)
{
	return vcpu_handle_exit(&env, run, code, msg, 128);
}

START_TEST(port_io)
{
	int code = -1;
	char msg[128];
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = KVM_EXIT_IO_OUT;
	run->io.port = 0x3f8;
	run->io.size = 1;
	run->io.count = 5; /* rep outsb */
	run->io.data_offset = 1024;
	memcpy((uint8_t *)run + 1024, "hello", 5);
	ck_assert_int_eq(handle(&code, msg), EXIT_CONTINUE);
	ck_assert_uint_eq(nseen, 5);
	ck_assert_mem_eq(seen, "hello", 5);
	run->io.direction = KVM_EXIT_IO_IN;
	run->io.count = 1;
	run->io.size = 2;
	run->io.port = 0x3fc;
	ck_assert_int_eq(handle(&code, msg), EXIT_CONTINUE);
	ck_assert_uint_eq(((uint8_t *)run)[1024], 0x42);
	/* nothing at the port: all-ones and on, or a stop with -e */
	run->io.port = 0x2f8;
	ck_assert_int_eq(handle(&code, msg), EXIT_CONTINUE);
	ck_assert_uint_eq(((uint8_t *)run)[1025], 0xff);
	env.strictio = true;
	ck_assert_int_eq(handle(&code, msg), EXIT_STOP);
	ck_assert_int_eq(code, 4);
	ck_assert_ptr_nonnull(strstr(msg, "0x2f8"));
}
END_TEST

START_TEST(memory_io)
{
	int code = -1;
	char msg[128];
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = 0xfed00010;
	run->mmio.len = 4;
	run->mmio.is_write = 0;
	ck_assert_int_eq(handle(&code, msg), EXIT_CONTINUE);
	ck_assert_uint_eq(last_mmio_off, 0x10);
	ck_assert_mem_eq(run->mmio.data, "\x11\x22\x33\x44", 4);
	run->mmio.phys_addr = 0xfee00000; /* unclaimed */
	run->mmio.len = 200;              /* a bogus length is clamped to the data array */
	ck_assert_int_eq(handle(&code, msg), EXIT_CONTINUE);
	env.strictio = true;
	ck_assert_int_eq(handle(&code, msg), EXIT_STOP);
	ck_assert_int_eq(code, 4);
}
END_TEST

START_TEST(machine_events)
{
	int code = -1;
	char msg[128];
	run->exit_reason = KVM_EXIT_SHUTDOWN;
	ck_assert_int_eq(handle(&code, msg), EXIT_STOP);
	ck_assert_int_eq(code, 3);
	run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	run->system_event.type = KVM_SYSTEM_EVENT_SHUTDOWN;
	ck_assert_int_eq(handle(&code, msg), EXIT_STOP);
	ck_assert_int_eq(code, 1);
	run->system_event.type = KVM_SYSTEM_EVENT_RESET;
	ck_assert_int_eq(handle(&code, msg), EXIT_STOP);
	ck_assert_int_eq(code, 0);
	run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	ck_assert_int_eq(handle(&code, msg), EXIT_STOP);
	ck_assert_int_eq(code, 4);
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	ck_assert_int_eq(handle(&code, msg), EXIT_STOP);
	ck_assert_int_eq(code, 4);
	run->exit_reason = KVM_EXIT_INTR;
	ck_assert_int_eq(handle(&code, msg), EXIT_CONTINUE);
	run->exit_reason = 200;
	ck_assert_int_eq(handle(&code, msg), EXIT_STOP);
	ck_assert_int_eq(code, 4);
	ck_assert_ptr_nonnull(strstr(msg, "200"));
}
END_TEST

START_TEST(coalesced_replay)
{
	struct kvm_coalesced_mmio_ring *ring = (struct kvm_coalesced_mmio_ring *)run;
	unsigned max = (4096 - sizeof(*ring)) / sizeof(ring->coalesced_mmio[0]);
	ring->first = max - 1; /* wraps */
	for (unsigned i = 0; i < 3; i++) {
		struct kvm_coalesced_mmio *e = &ring->coalesced_mmio[(max - 1 + i) % max];
		e->phys_addr = 0x3f8;
		e->len = 1;
		e->pio = 1;
		e->data[0] = (uint8_t)('a' + i);
	}
	ring->last = 2;
	ck_assert_uint_eq(vcpu_drain_coalesced(ring, &pio, &mm), 3);
	ck_assert_mem_eq(seen, "abc", 3);
	ck_assert_uint_eq(ring->first, 2);
	ring->first = 5000; /* corrupt: never walk past the ring */
	ring->last = 3;
	ck_assert_uint_eq(vcpu_drain_coalesced(ring, &pio, &mm), 0);
}
END_TEST

START_TEST(cpuid_topology)
{
	struct kvm_cpuid2 *in = calloc(1, sizeof(*in) + 4 * sizeof(in->entries[0]));
	in->nent = 4;
	in->entries[0] = (struct kvm_cpuid_entry2){.function = 1, .ebx = 0xff00ffff};
	in->entries[1] = (struct kvm_cpuid_entry2){.function = 0xb, .index = 0};
	in->entries[2] = (struct kvm_cpuid_entry2){.function = 0xb, .index = 1};
	in->entries[3] = (struct kvm_cpuid_entry2){.function = 0x80000008, .ecx = 0xffff};
	struct kvm_cpuid2 *c = vcpu_build_cpuid(in, 3, 4);
	ck_assert_uint_eq(c->entries[0].ebx >> 24, 3);
	ck_assert_uint_eq((c->entries[0].ebx >> 16) & 0xff, 4);
	ck_assert_uint_eq(c->entries[0].ebx & 0xffff, 0xffff);
	ck_assert_uint_eq(c->entries[0].ecx >> 31, 1);
	ck_assert_uint_eq(c->entries[0].edx & (1u << 28), 1u << 28);
	ck_assert_uint_eq(c->entries[1].edx, 3);
	ck_assert_uint_eq(c->entries[2].ebx, 4);
	ck_assert_uint_eq(c->entries[2].eax, 2);
	ck_assert_uint_eq(c->entries[3].ecx & 0xff, 3);
	ck_assert_uint_eq((c->entries[3].ecx >> 12) & 0xf, 2);
	free(c);
	free(in);
}
END_TEST

START_TEST(cpuset_lists)
{
	cpu_set_t s;
	ck_assert_int_eq(vcpu_parse_cpuset("1", &s), 0);
	ck_assert_int_eq(CPU_COUNT(&s), 1);
	ck_assert(CPU_ISSET(1, &s));
	ck_assert_int_eq(vcpu_parse_cpuset("0,2-4", &s), 0);
	ck_assert_int_eq(CPU_COUNT(&s), 4);
	ck_assert_int_eq(vcpu_parse_cpuset("", &s), -EINVAL);
	ck_assert_int_eq(vcpu_parse_cpuset("3-1", &s), -EINVAL);
	ck_assert_int_eq(vcpu_parse_cpuset("1,x", &s), -EINVAL);
	ck_assert_int_eq(vcpu_parse_cpuset("99999", &s), -EINVAL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vcpu_exit");
	TCase *tc = tcase_create("dispatch");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, port_io);
	tcase_add_test(tc, memory_io);
	tcase_add_test(tc, machine_events);
	tcase_add_test(tc, coalesced_replay);
	tcase_add_test(tc, cpuid_topology);
	tcase_add_test(tc, cpuset_lists);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
