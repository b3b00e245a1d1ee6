/*
 * rescue probe: identifies the filesystem on block devices or images with
 * libblkid, for people and for /init (--shell prints variables to eval).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rescue.h"
#include "sc.h"

const char cmd_probe_usage[] =
	"usage: rescue probe [--shell] DEVICE...\n"
	"\n"
	"Prints the filesystem type, label and UUID of each DEVICE (a partition,\n"
	"a disk or an image file), and whether it is encrypted (BitLocker, LUKS)\n"
	"or a Windows volume left dirty. Reads only.\n"
	"\n"
	"      --shell   print FSTYPE=, LABEL=, UUID=, ENCRYPTED=, DIRTY= lines\n"
	"                (single-quoted) for one DEVICE, to eval in a shell\n"
	"\n"
	"Exit status: 0, or 2 if a device could not be read.\n";

/* A shell word in single quotes; a quote inside becomes '\''. */
static void shell_quoted(const char *name, const char *val)
{
	printf("%s='", name);
	for (; *val; val++) {
		if (*val == '\'')
			fputs("'\\''", stdout);
		else
			fputc(*val, stdout);
	}
	fputs("'\n", stdout);
}

int cmd_probe(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "shell", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	int shell = 0, c, status = EXIT_CLEAN;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c != 'S') {
			fputs(cmd_probe_usage, stderr);
			return EXIT_ERROR;
		}
		shell = 1;
	}
	if (optind >= argc || (shell && argc - optind != 1)) {
		error(shell ? "--shell takes exactly one DEVICE"
			    : "nothing to probe: give a DEVICE");
		fputs(cmd_probe_usage, stderr);
		return EXIT_ERROR;
	}
	for (int i = optind; i < argc; i++) {
		struct sc_volume v;
		int fd = open(argv[i], O_RDONLY | O_CLOEXEC | O_NOCTTY);

		if (fd < 0) {
			error("cannot open '%s': %s", argv[i], strerror(errno));
			status = EXIT_ERROR;
			continue;
		}
		memset(&v, 0, sizeof(v));
		sc_volume_probe(fd, 0, 0, &v);
		close(fd);
		if (shell) {
			shell_quoted("FSTYPE", v.fstype);
			shell_quoted("LABEL", v.label);
			shell_quoted("UUID", v.uuid);
			printf("ENCRYPTED=%d\nDIRTY=%d\n",
			       !!(v.flags & SC_VOL_ENCRYPTED),
			       !!(v.flags & SC_VOL_DIRTY));
			continue;
		}
		printf("%s: %s", argv[i], v.fstype[0] ? v.fstype : "unknown");
		if (v.label[0])
			printf(" label \"%s\"", v.label);
		if (v.uuid[0])
			printf(" UUID %s", v.uuid);
		if (v.flags & SC_VOL_ENCRYPTED)
			fputs(" encrypted", stdout);
		if (v.flags & SC_VOL_DIRTY)
			fputs(" dirty", stdout);
		fputc('\n', stdout);
	}
	return status;
}
