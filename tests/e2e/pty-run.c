// SPDX-License-Identifier: BSD-2-Clause
/*
 * Run a command on a new pseudo-terminal, as a person at a terminal would:
 * its output is copied to our stdout; when the output contains WAIT-FOR, the
 * line SEND is typed. Reports on stdout whether the terminal was in raw mode
 * while the command ran and whether it was restored afterwards.
 * usage: pty-run WAIT-FOR SEND COMMAND [ARGS...]
 */
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
	if (argc < 4) {
		fprintf(stderr, "usage: pty-run WAIT-FOR SEND COMMAND [ARGS...]\n");
		return 2;
	}
	const char *wait_for = argv[1], *send = argv[2];
	int master;
	struct termios orig;
	pid_t pid = forkpty(&master, NULL, NULL, NULL);
	if (pid < 0) {
		perror("forkpty");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[3], &argv[3]);
		_exit(127);
	}
	tcgetattr(master, &orig); /* the slave's settings before the command changes them */
	char seen[8192] = "";
	size_t seen_len = 0;
	int sent = 0, raw_seen = 0, status = 0;
	for (;;) {
		struct pollfd p = {.fd = master, .events = POLLIN};
		if (poll(&p, 1, 200) > 0) {
			char buf[512];
			ssize_t n = read(master, buf, sizeof(buf));
			if (n <= 0)
				break; /* EIO: every slave descriptor closed */
			fwrite(buf, 1, (size_t)n, stdout);
			fflush(stdout);
			for (ssize_t i = 0; i < n; i++) { /* keep the tail to look for WAIT-FOR */
				if (seen_len == sizeof(seen) - 1) {
					memmove(seen, seen + 4096, seen_len - 4096);
					seen_len -= 4096;
				}
				seen[seen_len++] = buf[i];
				seen[seen_len] = '\0';
			}
		}
		struct termios now;
		if (tcgetattr(master, &now) == 0 && !(now.c_lflag & (ICANON | ECHO)))
			raw_seen = 1;
		if (!sent && strstr(seen, wait_for)) {
			char line[256];
			snprintf(line, sizeof(line), "%s\r", send);
			if (write(master, line, strlen(line)) < 0)
				perror("write");
			sent = 1;
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			pid = 0;
			break;
		}
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	struct termios after;
	int restored = tcgetattr(master, &after) == 0 && after.c_lflag == orig.c_lflag &&
		       after.c_iflag == orig.c_iflag && after.c_oflag == orig.c_oflag;
	printf("\nPTY-RUN: raw while running: %s\n", raw_seen ? "yes" : "no");
	printf("PTY-RUN: terminal restored: %s\n", restored ? "yes" : "no");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
