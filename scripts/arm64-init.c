// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * init for the arm64 test boots (boot() in scripts/lib.sh): the host's busybox
 * is x86-64, so this small static program (aarch64-linux-gnu-gcc -static)
 * does what the busybox init script does on x86_64 and UML.
 *
 * It mounts proc, sysfs and debugfs, prints the KOVAN-TESTS-BEGIN marker,
 * runs the plan in /plan, one command a line:
 *
 *	load <path of a .ko> [module parameters]
 *	unload <module name>
 *
 * printing "kovan-harness: ok insmod <file>" or "kovan-harness: not ok insmod
 * <file> rc=<errno>" (rmmod likewise) for each, prints KOVAN-TESTS-END and
 * powers the machine off. scripts/results.py judges the console.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <unistd.h>

static void load(char *args)
{
	char *params = strchr(args, ' ');
	const char *file;
	int fd, ret;

	if (params)
		*params++ = '\0';
	else
		params = "";
	file = strrchr(args, '/') ? strrchr(args, '/') + 1 : args;
	fd = open(args, O_RDONLY | O_CLOEXEC);
	ret = fd < 0 ? -1 : syscall(SYS_finit_module, fd, params, 0);
	if (ret)
		printf("kovan-harness: not ok insmod %s rc=%d\n", file, errno);
	else
		printf("kovan-harness: ok insmod %s\n", file);
	if (fd >= 0)
		close(fd);
}

static void unload(const char *name)
{
	/* As rmmod does: fail rather than wait while the module is in use. */
	if (syscall(SYS_delete_module, name, O_NONBLOCK))
		printf("kovan-harness: not ok rmmod %s rc=%d\n", name, errno);
	else
		printf("kovan-harness: ok rmmod %s\n", name);
}

int main(void)
{
	char line[4096];
	FILE *plan;

	/* Unbuffered: each line reaches the console before the next command. */
	setvbuf(stdout, NULL, _IONBF, 0);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	printf("\nKOVAN-TESTS-BEGIN\n");
	plan = fopen("/plan", "r");
	if (!plan)
		printf("kovan-harness: not ok open /plan rc=%d\n", errno);
	while (plan && fgets(line, sizeof(line), plan)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "load ", 5))
			load(line + 5);
		else if (!strncmp(line, "unload ", 7))
			unload(line + 7);
		else if (line[0])
			printf("kovan-harness: not ok plan line '%s'\n", line);
	}
	printf("\nKOVAN-TESTS-END\n");
	sync();
	reboot(RB_POWER_OFF);
	return 1;
}
