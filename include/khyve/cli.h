/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bhyve's command line (bhyve(8)) turned into config keys. Pure functions:
 * nothing here exits; messages go to the streams passed in.
 */
#ifndef KHYVE_CLI_H
#define KHYVE_CLI_H

#include <stdint.h>
#include <stdio.h>
#include "khyve/config.h"

/* Exit statuses, as bhyverun.c. */
enum {
	KHYVE_EXIT_REBOOT = 0,
	KHYVE_EXIT_POWEROFF = 1,
	KHYVE_EXIT_HALT = 2,
	KHYVE_EXIT_TRIPLEFAULT = 3,
	KHYVE_EXIT_ERROR = 4,
	KHYVE_EXIT_USAGE = 64, /* EX_USAGE */
};

/*
 * Parse argv (argv[0] is the program name) into cfg, applying flags in
 * command-line order as bhyve does. Returns 1 when the VM should be run,
 * 0 when the process should end now with *exit_code (help, usage error,
 * config.dump, bad value). config.dump and the -s/-l help lists go to out;
 * usage text (also for -h, as bhyve) and messages go to err.
 */
int cli_parse(struct config *cfg, int argc, char *const argv[], FILE *out, FILE *err,
	      int *exit_code);

/*
 * "-s" argument → pci.B.S.F.* keys. 0 or -EINVAL with a message in err;
 * options an emulation does not use are kept and warned about on err.
 */
int cli_parse_pci_slot(struct config *cfg, const char *arg, FILE *err);
/*
 * "-l" argument → lpc.* keys. 0; -EINVAL for a malformed or unknown device
 * (bhyve's usage error); -ENOTSUP for a bhyve device or backend this build
 * lacks (bootrom, tpm, pc-testdev, /dev/nmdm*). A message goes to err.
 */
int cli_parse_lpc(struct config *cfg, const char *arg, FILE *err);
/*
 * bhyve's memory size (vm_parse_memsize): b/k/m/g/t/p/e suffixes (either
 * case); without one, a number below 1 MiB counts MiB. Zero, overflow and
 * garbage are -EINVAL.
 */
int cli_parse_memsize(const char *s, uint64_t *bytes);
/* -s help / -l help listings. */
void cli_list_emulations(FILE *out);
void cli_list_lpc(FILE *out);

#endif
