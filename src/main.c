// SPDX-License-Identifier: BSD-2-Clause
#include <stdio.h>

#include "khyve/cli.h"
#include "khyve/config.h"

int main(int argc, char *argv[])
{
	struct config *cfg = config_new();
	if (cfg == NULL) {
		fprintf(stderr, "khyve: out of memory\n");
		return KHYVE_EXIT_ERROR;
	}
	int code = KHYVE_EXIT_ERROR;
	if (cli_parse(cfg, argc, argv, stdout, stderr, &code) == 1) {
		fprintf(stderr, "khyve: the VM core is not built yet\n");
		code = KHYVE_EXIT_ERROR;
	}
	config_free(cfg);
	return code;
}
