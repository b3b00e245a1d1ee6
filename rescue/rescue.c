/*
 * rescue: the offline rescue scanner's command-line program.
 * Dispatches to one command per file, Git-style: rescue COMMAND [ARGS].
 */
#include <stdio.h>
#include <string.h>

#include <yara.h>

#include "rescue.h"

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const char help_usage[] =
	"usage: rescue help [COMMAND]\n"
	"\n"
	"Lists the commands, or shows the full help of one.\n";

static const char version_usage[] =
	"usage: rescue version\n"
	"\n"
	"Prints the program version and the libyara version it was built with.\n";

static const struct rescue_cmd commands[] = {
	{ "ui", cmd_ui, "the full-screen front end", cmd_ui_usage },
	{ "scan", cmd_scan, "scan directories, files and disks with YARA rules",
	  cmd_scan_usage },
	{ "quarantine", cmd_quarantine,
	  "move files to the quarantine, restore them, report false positives",
	  cmd_quarantine_usage },
	{ "allow", cmd_allow, "keep files known to be good off later reports",
	  cmd_allow_usage },
	{ "defs", cmd_defs, "build, check and list signed definitions",
	  cmd_defs_usage },
	{ "disks", cmd_disks, "list disks, partition tables and boot areas",
	  cmd_disks_usage },
	{ "efi", cmd_efi, "list UEFI boot entries and what they start",
	  cmd_efi_usage },
	{ "probe", cmd_probe, "identify the filesystem on a device",
	  cmd_probe_usage },
	{ "help", cmd_help, "show help for a command", help_usage },
	{ "version", cmd_version, "show the version", version_usage },
};

const struct rescue_cmd *rescue_commands(size_t *n)
{
	*n = sizeof(commands) / sizeof(*commands);
	return commands;
}

static const struct rescue_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void list_commands(FILE *f)
{
	fputs("usage: rescue [--version] [--help] COMMAND [ARGS]\n\n"
	      "Offline rescue scanner. Commands:\n",
	      f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name,
			commands[i].summary);
	fputs("\n'rescue help COMMAND' shows the options of a command.\n"
	      "Exit status: 0 clean, 1 something found, 2 error.\n",
	      f);
}

static int cmd_help(int argc, char **argv)
{
	const struct rescue_cmd *c;

	if (argc < 2) {
		list_commands(stdout);
		return EXIT_CLEAN;
	}
	c = find_cmd(argv[1]);
	if (!c) {
		error("unknown command '%s'", argv[1]);
		list_commands(stderr);
		return EXIT_ERROR;
	}
	fputs(c->usage, stdout);
	return EXIT_CLEAN;
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("rescue %s (libyara %s)\n", RESCUE_VERSION, YR_VERSION);
	return EXIT_CLEAN;
}

int main(int argc, char **argv)
{
	const struct rescue_cmd *c;

	if (argc < 2) {
		list_commands(stderr);
		return EXIT_ERROR;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return cmd_version(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(1, argv + 1);
	c = find_cmd(argv[1]);
	if (!c) {
		error("unknown command '%s'", argv[1]);
		list_commands(stderr);
		return EXIT_ERROR;
	}
	/* "rescue scan --help" is "rescue help scan". */
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(c->usage, stdout);
			return EXIT_CLEAN;
		}
	}
	return c->fn(argc - 1, argv + 1);
}
