// SPDX-License-Identifier: BSD-2-Clause
/*
 * What the host's kernel charges for the steps a VMM's I/O thread takes: a
 * system call, and a switch to another thread of the same process or to
 * another process on the same CPU, each with and without a working set of
 * pages touched after every switch (what a switch between address spaces
 * makes the CPU fetch again). Used by bench/host-costs; prints one line a
 * figure, "RESULT name value unit".
 *
 * usage: host_costs [ROUNDS]   (ping-pong round trips a figure, default 20000)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096

static unsigned rounds = 20000, pages;
static int to_b[2], to_a[2];
static volatile unsigned char *ws_a, *ws_b; /* each side's working set */

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void pin_cpu0(void)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		perror("sched_setaffinity");
}

static void touch(volatile unsigned char *ws)
{
	for (unsigned i = 0; i < pages; i++)
		ws[(size_t)i * PAGE]++;
}

/* The side that answers: each byte from to_b goes back on to_a. */
static void *answer(void *arg)
{
	(void)arg;
	pin_cpu0();
	char c;
	for (unsigned i = 0; i < rounds; i++) {
		if (read(to_b[0], &c, 1) != 1 || (touch(ws_b), write(to_a[1], &c, 1)) != 1)
			break;
	}
	return NULL;
}

/* Round trips from this side; µs each. */
static double ping(void)
{
	char c = 'x';
	double t0 = now_us();
	for (unsigned i = 0; i < rounds; i++) {
		if (write(to_b[1], &c, 1) != 1 || read(to_a[0], &c, 1) != 1)
			return -1;
		touch(ws_a);
	}
	return (now_us() - t0) / rounds;
}

static double pingpong(int processes)
{
	if (pipe(to_b) || pipe(to_a))
		return -1;
	double us;
	if (processes) {
		pid_t pid = fork();
		if (pid == 0) {
			answer(NULL);
			_exit(0);
		}
		us = ping();
		waitpid(pid, NULL, 0);
	} else {
		pthread_t t;
		if (pthread_create(&t, NULL, answer, NULL))
			return -1;
		us = ping();
		pthread_join(t, NULL);
	}
	close(to_b[0]), close(to_b[1]), close(to_a[0]), close(to_a[1]);
	return us;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		rounds = (unsigned)strtoul(argv[1], NULL, 0);
	pin_cpu0();
	size_t max = 256;
	ws_a = mmap(NULL, max * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ws_b = mmap(NULL, max * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ws_a == MAP_FAILED || ws_b == MAP_FAILED)
		return 1;
	pages = (unsigned)max;
	touch(ws_a), touch(ws_b); /* faulted in once, before fork shares them */

	double t0 = now_us();
	for (unsigned i = 0; i < rounds * 10; i++)
		(void)getppid();
	printf("RESULT syscall %.3f us\n", (now_us() - t0) / (rounds * 10));

	unsigned sets[] = {0, 64, 256};
	for (unsigned i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		pages = sets[i];
		double th = pingpong(0), pr = pingpong(1);
		/* A round trip is two switches (and four system calls). */
		printf("RESULT switch-thread-%upages %.2f us\n", pages, th / 2);
		printf("RESULT switch-process-%upages %.2f us\n", pages, pr / 2);
	}
	return 0;
}
