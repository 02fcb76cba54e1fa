// SPDX-License-Identifier: BSD-2-Clause
/*
 * netaddr_numeric: numeric IPv4 and IPv6 hosts only, the port in network order.
 * netaddr_host: the same from a span, with IPv6 in brackets and "localhost".
 * netaddr_endpoint: HOST:PORT (COM tcp=).
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "check_main.h"
#include "khyve/netaddr.h"

START_TEST(ipv4)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	ck_assert_int_eq(netaddr_numeric("127.0.0.1", 4000, &ss, &len), 0);
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)&ss;
	ck_assert_int_eq(in4->sin_family, AF_INET);
	ck_assert_uint_eq(ntohs(in4->sin_port), 4000);
	ck_assert_uint_eq(ntohl(in4->sin_addr.s_addr), 0x7f000001);
	ck_assert_uint_eq(len, sizeof(*in4));
}
END_TEST

START_TEST(ipv6)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	ck_assert_int_eq(netaddr_numeric("::1", 65535, &ss, &len), 0);
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
	ck_assert_int_eq(in6->sin6_family, AF_INET6);
	ck_assert_uint_eq(ntohs(in6->sin6_port), 65535);
	ck_assert(IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr));
	ck_assert_uint_eq(len, sizeof(*in6));
}
END_TEST

START_TEST(not_numeric)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	static const char *bad[] = {"localhost", "",	   "[::1]",    "1.2.3",
				    "256.0.0.1", "::1%lo", "10.0.0.1 "};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(netaddr_numeric(bad[i], 1, &ss, &len) == -EINVAL, "%s", bad[i]);
	ck_assert_uint_eq(len, 0);
}
END_TEST

/* A span of a longer string: only its n bytes count. */
START_TEST(host_span)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	ck_assert_int_eq(netaddr_host("10.1.2.3:99", 8, 99, &ss, &len), 0);
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)&ss;
	ck_assert_uint_eq(ntohl(in4->sin_addr.s_addr), 0x0a010203);
	ck_assert_uint_eq(ntohs(in4->sin_port), 99);
	ck_assert_int_eq(netaddr_host("localhost:1", 9, 1, &ss, &len), 0);
	ck_assert_uint_eq(ntohl(in4->sin_addr.s_addr), 0x7f000001);
	ck_assert_uint_eq(len, sizeof(*in4));
}
END_TEST

START_TEST(host_brackets)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	static const char *good[] = {"[::1]", "::1", "[fe80::1:2]"};
	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		len = 0;
		ck_assert_msg(netaddr_host(good[i], strlen(good[i]), 7, &ss, &len) == 0, "%s",
			      good[i]);
		ck_assert_int_eq(ss.ss_family, AF_INET6);
		ck_assert_uint_eq(len, sizeof(struct sockaddr_in6));
	}
	len = 0;
	static const char *bad[] = {
	    "[::1",	  "::1]", "[[::1]]",	  "[]",
	    "[127.0.0.1", "",	  "[localhost]x", "0000:0000:0000:0000:0000:0000:0000:0000:0000"};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(netaddr_host(bad[i], strlen(bad[i]), 7, &ss, &len) == -EINVAL, "%s",
			      bad[i]);
	ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(endpoint)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)&ss;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
	ck_assert_int_eq(netaddr_endpoint("127.0.0.1:4000", &ss, &len), 0);
	ck_assert_int_eq(in4->sin_family, AF_INET);
	ck_assert_uint_eq(ntohs(in4->sin_port), 4000);
	ck_assert_int_eq(netaddr_endpoint("[::1]:65535", &ss, &len), 0);
	ck_assert_int_eq(in6->sin6_family, AF_INET6);
	ck_assert_uint_eq(ntohs(in6->sin6_port), 65535);
	ck_assert(IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr));
	ck_assert_int_eq(netaddr_endpoint("::1:22", &ss, &len), 0); /* the last colon */
	ck_assert_uint_eq(ntohs(in6->sin6_port), 22);
	ck_assert_int_eq(netaddr_endpoint("localhost:1", &ss, &len), 0);
	ck_assert_uint_eq(ntohl(in4->sin_addr.s_addr), 0x7f000001);
	len = 0;
	static const char *bad[] = {
	    "127.0.0.1",    "127.0.0.1:",   "127.0.0.1:0",  "127.0.0.1:65536",
	    "127.0.0.1:-1", "127.0.0.1:+1", "127.0.0.1: 1", "127.0.0.1:1x",
	    "[::1]",	    "[::1]1",	    "[::1:1",	    "[::1]x:1",
	    ":1",	    "host:1",	    "[127.0.0.1:1", "127.0.0.1:99999999999999999999"};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(netaddr_endpoint(bad[i], &ss, &len) == -EINVAL, "%s", bad[i]);
	ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(port)
{
	uint16_t p = 7;
	ck_assert_int_eq(netaddr_port("0", 0, &p), 0);
	ck_assert_uint_eq(p, 0);
	ck_assert_int_eq(netaddr_port("65535", 1, &p), 0);
	ck_assert_uint_eq(p, 65535);
	ck_assert_int_eq(netaddr_port("00022", 1, &p), 0);
	ck_assert_uint_eq(p, 22);
	p = 7;
	static const char *bad[] = {"",	  "0",	"65536", "-1",	 "+1",
				    " 1", "1 ", "1x",	 "0x10", "99999999999999999999"};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(netaddr_port(bad[i], 1, &p) == -EINVAL, "'%s'", bad[i]);
	ck_assert_uint_eq(p, 7);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("netaddr");
	TCase *t = tcase_create("numeric");
	tcase_add_test(t, ipv4);
	tcase_add_test(t, ipv6);
	tcase_add_test(t, not_numeric);
	tcase_add_test(t, host_span);
	tcase_add_test(t, host_brackets);
	tcase_add_test(t, endpoint);
	tcase_add_test(t, port);
	suite_add_tcase(s, t);
	return s;
}

CHECK_MAIN(suite)
