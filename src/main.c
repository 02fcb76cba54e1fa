// SPDX-License-Identifier: BSD-2-Clause
#include <bsd/unistd.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "khyve/cli.h"
#include "khyve/config.h"
#include "khyve/vm.h"

extern char **environ;

int main(int argc, char *argv[])
{
	setproctitle_init(argc, argv, environ);
	/* One malloc arena: vCPU threads allocate little, and each arena costs resident pages. */
	mallopt(M_ARENA_MAX, 1);
	struct config *cfg = config_new();
	if (cfg == NULL) {
		fprintf(stderr, "khyve: out of memory\n");
		return KHYVE_EXIT_ERROR;
	}
	int code = KHYVE_EXIT_ERROR;
	if (cli_parse(cfg, argc, argv, stdout, stderr, &code) != 1) {
		config_free(cfg);
		return code;
	}
	const char *name = config_get(cfg, "name");
	/* VM managers find their guests with pgrep -f "bhyve: NAME". */
	setproctitle("-bhyve: %s", name ? name : "");

	char err[512] = "";
	struct vm *vm = NULL;
	int term_signal = 0;
	if (vm_create(&vm, cfg, err, sizeof(err)) < 0) {
		code = KHYVE_EXIT_ERROR;
	} else {
		code = vm_run(vm, err, sizeof(err));
		term_signal = vm->term_signal;
	}
	vm_destroy(vm); /* restores the terminal */
	if (err[0])
		fprintf(stderr, "khyve: %s\n", err);
	config_free(cfg);
	if (term_signal) {
		/* Die of the signal that ended the VM, as an unprotected process would. */
		signal(term_signal, SIG_DFL);
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, term_signal);
		pthread_sigmask(SIG_UNBLOCK, &set, NULL);
		raise(term_signal);
	}
	return code;
}
