/*
 * rescue ui: the full-screen front end (ui/). This file only gathers what
 * the UI needs (rules compiled as for a scan, where the quarantine,
 * allowlist and reports live, what to scan) and hands it over.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rescue.h"
#include "sc.h"
#include "ui.h"

const char cmd_ui_usage[] =
	"usage: rescue ui [OPTIONS] [DIR...] [--disk DISK...]\n"
	"\n"
	"The full-screen front end: readiness, scan setup and progress,\n"
	"results and detections in detail, the plan (quarantine, ignore once,\n"
	"always allow, vendor package), the quarantine manager, the allowlist,\n"
	"definitions and reports. F1 or ? shows the keys of each screen.\n"
	"DIR: mounted volumes to offer for scanning; DISK: disks whose boot\n"
	"areas to offer.\n"
	"\n"
	"      --defs FILE, --store DIR, --rules PATH, --unsigned-rules,\n"
	"      --no-builtin       the rules, as for rescue scan\n"
	"      --quarantine DIR   the quarantine (default " RESCUE_QUARANTINE ")\n"
	"      --allowlist FILE   the allowlist (default " RESCUE_ALLOWLIST ")\n"
	"      --reports DIR      where reports go (default /data/reports when\n"
	"                         /data exists)\n"
	"      --mount-errors FILE  as for rescue scan\n"
	"      --no-shell         no key drops to a shell\n";

static struct rules_src src = { .builtin = 1 };

/*
 * While the screen is up, messages to stderr (a definitions reload that
 * fails, say) would land in the middle of it: they go to UI_LOG instead,
 * and stderr comes back before anything else is printed (die included).
 */
#define UI_LOG "/tmp/rescue-ui.log"
static int saved_stderr = -1;

static void stderr_back(void)
{
	ui_restore_terminal();
	if (saved_stderr >= 0) {
		fflush(stderr);
		dup2(saved_stderr, STDERR_FILENO);
		close(saved_stderr);
		saved_stderr = -1;
	}
}

static void stderr_away(void)
{
	int fd = open(UI_LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	if (fd < 0)
		return;
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

static int reload(struct sc_rules **rules, char *why, size_t n, void *ctx)
{
	struct sc_rules *fresh;
	struct refusal *refused;
	size_t nrefused;

	(void)ctx;
	if (rules_load(&src, &fresh, &refused, &nrefused)) {
		snprintf(why, n, "the definitions could not be compiled (see "
			 UI_LOG ")");
		return -1;
	}
	free(refused);
	sc_rules_destroy(*rules);
	*rules = fresh;
	return 0;
}

int cmd_ui(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "defs", required_argument, NULL, 'D' },
		{ "store", required_argument, NULL, 'K' },
		{ "rules", required_argument, NULL, 'r' },
		{ "unsigned-rules", no_argument, NULL, 'U' },
		{ "no-builtin", no_argument, NULL, 'B' },
		{ "quarantine", required_argument, NULL, 'Q' },
		{ "allowlist", required_argument, NULL, 'W' },
		{ "reports", required_argument, NULL, 'R' },
		{ "mount-errors", required_argument, NULL, 'M' },
		{ "disk", required_argument, NULL, 'd' },
		{ "no-shell", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct ui_config cfg;
	struct list targets = { 0 }, disks = { 0 }, merr = { 0 };
	struct refusal *refused;
	size_t nrefused;
	char product[64];
	int c, rc;

	memset(&cfg, 0, sizeof(cfg));
	snprintf(product, sizeof(product), "rescue %s", RESCUE_VERSION);
	cfg.product = product;
	cfg.quarantine_dir = RESCUE_QUARANTINE;
	cfg.allowlist = RESCUE_ALLOWLIST;
	cfg.reports_dir = access("/data", W_OK) ? NULL : "/data/reports";
	cfg.defs_store = NULL;
	cfg.shell = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:d:", longopts, NULL)) != -1) {
		switch (c) {
		case 'D': list_add(&src.defs, optarg); break;
		case 'K': src.store = optarg; cfg.defs_store = optarg; break;
		case 'r': list_add(&src.rules, optarg); break;
		case 'U': src.unsigned_ok = 1; break;
		case 'B': src.builtin = 0; break;
		case 'Q': cfg.quarantine_dir = optarg; break;
		case 'W': cfg.allowlist = optarg; break;
		case 'R': cfg.reports_dir = optarg; break;
		case 'M': list_read_lines(optarg, &merr); break;
		case 'd': list_add(&disks, optarg); break;
		case 'S': cfg.shell = 0; break;
		default:
			fputs(cmd_ui_usage, stderr);
			return EXIT_ERROR;
		}
	}
	for (int i = optind; i < argc; i++)
		list_add(&targets, argv[i]);
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		die("rescue ui needs a terminal (use rescue scan for scripts)");
	if (rules_load(&src, &cfg.rules, &refused, &nrefused))
		return EXIT_ERROR;
	free(refused);
	cfg.targets = targets.v;
	cfg.ntargets = targets.n;
	cfg.disks = disks.v;
	cfg.ndisks = disks.n;
	cfg.mount_errors = merr.v;
	cfg.nmount_errors = merr.n;
	cfg.reload_rules = reload;
	cfg.keys = trusted_keys;
	cfg.nkeys = trusted_keys_count;
	usage_set_cleanup(stderr_back);
	stderr_away();
	rc = ui_run(&cfg);
	stderr_back();
	usage_set_cleanup(NULL);
	sc_rules_destroy(cfg.rules);
	rules_src_free(&src);
	free(targets.v);
	free(disks.v);
	for (size_t i = 0; i < merr.n; i++)
		free((char *)merr.v[i]);
	free(merr.v);
	return rc ? EXIT_ERROR : EXIT_CLEAN;
}
