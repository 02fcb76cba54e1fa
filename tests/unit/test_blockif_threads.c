// SPDX-License-Identifier: BSD-2-Clause
/* Block backend on its thread engine (force_threads): the shared cases of blockif_cases.h. */
#include "blockif_cases.h"

static Suite *suite(void)
{
	Suite *s = suite_create("blockif_threads");
	suite_add_tcase(s, blockif_cases());
	return s;
}

int main(void)
{
	test_threads = true;
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
