/*
 * rescue quarantine: the quarantine store on the rescue stick. Files are
 * moved there (or copied, for critical system files), restored byte-exact,
 * rescanned with newer definitions, and packed for an AV vendor's
 * false-positive desk.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rescue.h"
#include "sc.h"

const char cmd_quarantine_usage[] =
	"usage: rescue quarantine add PATH... [--reason TEXT] [--force] [--copy]\n"
	"       rescue quarantine list [--json]\n"
	"       rescue quarantine show ID [--json]\n"
	"       rescue quarantine restore ID [--to DIR] [--overwrite]\n"
	"                                    [--allow | --no-allow] [--note TEXT]\n"
	"       rescue quarantine delete ID [--yes]\n"
	"       rescue quarantine rescan [--defs FILE] [--defs-store DIR]\n"
	"                                [--no-builtin]\n"
	"       rescue quarantine report ID -o FILE.zip\n"
	"       rescue quarantine recover\n"
	"\n"
	"The quarantine lives on the rescue stick (default " RESCUE_QUARANTINE ";\n"
	"--store DIR for another writable place), never on the suspect disk.\n"
	"Each item keeps the file encrypted (it cannot run, and other scanners\n"
	"do not flag it) with what a restore needs: the volume by filesystem\n"
	"UUID, the path, hashes, mode, owner, times and NTFS attributes.\n"
	"\n"
	"add      moves each file into the quarantine: copy, verify, then remove\n"
	"         the original (its volume is writable for that moment only).\n"
	"         Refused, with nothing changed, on a hibernated or dirty\n"
	"         Windows volume, through a symbolic link or junction, or when\n"
	"         the store is full. Windows system files, boot loaders and\n"
	"         drivers are copied and left in place unless --force; --copy\n"
	"         does that for any file\n"
	"list     the items; show one in full\n"
	"restore  puts an item back where it was (the same volume, found by\n"
	"         UUID, wherever it is mounted now), byte-exact, with its\n"
	"         metadata, or into DIR with --to. A different file in the way\n"
	"         is refused unless --overwrite (which keeps a copy of it in the\n"
	"         quarantine). --allow adds the file to the allowlist (--list\n"
	"         FILE, default " RESCUE_ALLOWLIST ") so later scans report it as\n"
	"         allowed; without --allow or --no-allow a terminal is asked\n"
	"delete   removes an item for good (asks unless --yes)\n"
	"rescan   scans every item again with the current definitions (same\n"
	"         options as rescue scan: --defs, --defs-store, --rules with\n"
	"         --unsigned-rules, --no-builtin); items no longer detected are\n"
	"         marked as likely false positives, with the definitions that\n"
	"         cleared them\n"
	"report   writes a zip encrypted with the password \"infected\" holding\n"
	"         the sample and a text file with what an AV vendor's\n"
	"         false-positive desk asks for\n"
	"recover  finishes or undoes operations a power cut interrupted (every\n"
	"         command does this first; this one only reports it)\n"
	"\n"
	"Exit status: 0 success, 2 error or refusal.\n";

void quar_say_recovery(FILE *f, const struct sc_quar_recovery *rec, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "recovered %s %s: %s (%s)\n", rec[i].op, rec[i].id,
			rec[i].outcome, rec[i].detail);
}

/* Where open_store reports recovery: stderr, but stdout for "recover". */
static FILE *recovery_out;

static struct sc_quar *open_store(const char *dir, int create)
{
	struct sc_quar_recovery *rec;
	struct sc_quar *q;
	size_t n;
	int err = sc_quar_open(dir, create, &q, &rec, &n);

	if (err == SC_EBUSY)
		die("the quarantine '%s' is in use by another rescue process",
		    dir);
	if (err)
		die("cannot open the quarantine '%s': %s: %s", dir,
		    sc_strerror(err), strerror(errno));
	quar_say_recovery(recovery_out ? recovery_out : stderr, rec, n);
	free(rec);
	return q;
}

static void put_bytes(FILE *f, const char *p, size_t n)
{
	char *d = sc_display_name(p, n);

	fputs(d ? d : "?", f);
	free(d);
}

static void list_line(const struct sc_quar_item *it)
{
	printf("%s  %-11s %10llu  ", it->id, sc_quar_state_name(it->state),
	       (unsigned long long)it->size);
	put_bytes(stdout, it->path, it->path_len);
	for (size_t k = 0; k < it->ndet; k++)
		printf("%s%s:%s", k ? ", " : "  [", it->det[k].ns,
		       it->det[k].rule);
	if (it->ndet)
		putchar(']');
	if (it->likely_fp)
		printf("  LIKELY FALSE POSITIVE (cleared by %s)", it->rescan_defs);
	putchar('\n');
}

static void show(const struct sc_quar_item *it)
{
	printf("id:          %s\n", it->id);
	printf("state:       %s%s\n", sc_quar_state_name(it->state),
	       it->state == SC_QUAR_KEPT ? " (the original was left in place)"
	       : it->state == SC_QUAR_PENDING
		       ? " (interrupted; see 'rescue quarantine recover')"
		       : "");
	printf("quarantined: %s\nreason:      ", it->time);
	put_bytes(stdout, it->reason, strlen(it->reason));
	printf("\npath:        ");
	put_bytes(stdout, it->path, it->path_len);
	printf("\nvolume:      %s %s", it->device, it->fstype);
	if (*it->label) {
		printf(" \"");
		put_bytes(stdout, it->label, strlen(it->label));
		putchar('"');
	}
	printf(" UUID %s", *it->uuid ? it->uuid : "-");
	if (*it->serial)
		printf(", disk serial %s", it->serial);
	if (it->partition)
		printf(", partition %u", it->partition);
	if (*it->part_uuid)
		printf(" (%s)", it->part_uuid);
	printf("\nin volume:   /");
	put_bytes(stdout, it->vpath, it->vpath_len);
	printf("\nsize:        %llu\nsha256:      %s\nsha1:        %s\n"
	       "md5:         %s\nmode:        %04o, owner %u:%u\n",
	       (unsigned long long)it->size, it->sha256, it->sha1, it->md5,
	       (unsigned)(it->mode & 07777), it->uid, it->gid);
	printf("mtime:       %lld.%09ld\n", (long long)it->mtime.sec,
	       it->mtime.nsec);
	if (it->has_ntfs_attrib)
		printf("NTFS attributes: 0x%08x\n", it->ntfs_attrib);
	for (size_t i = 0; i < it->nxattr; i++)
		printf("xattr:       %s (%zu bytes)\n", it->xattr[i].name,
		       it->xattr[i].len);
	if (it->critical)
		printf("critical:    a protected system file\n");
	for (size_t k = 0; k < it->ndet; k++) {
		const struct sc_quar_detection *d = &it->det[k];

		printf("detection:   %s:%s (set %s", d->ns, d->rule, d->set);
		if (d->set_version)
			printf(" version %llu", (unsigned long long)d->set_version);
		putchar(')');
		for (size_t m = 0; m < d->nmeta; m++) {
			printf("\n  %s = ", d->meta[m].key);
			if (d->meta[m].type == SC_META_STRING)
				put_bytes(stdout, d->meta[m].str,
					  strlen(d->meta[m].str));
			else if (d->meta[m].type == SC_META_BOOLEAN)
				fputs(d->meta[m].num ? "true" : "false", stdout);
			else
				printf("%lld", (long long)d->meta[m].num);
		}
		putchar('\n');
	}
	if (it->rescan_time)
		printf("rescan:      %s with %s: %s\n", it->rescan_time,
		       it->rescan_defs,
		       it->rescan_detected ? "still detected"
		       : it->likely_fp	   ? "no longer detected: likely a false "
					     "positive"
					   : "not detected");
}

/* y/N on the terminal; "no" when there is none. */
static int ask(const char *question)
{
	char line[16];

	if (!isatty(STDIN_FILENO))
		return 0;
	printf("%s [y/N] ", question);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

static int allow_item(const struct sc_quar_item *it, const char *list,
		      const char *note)
{
	struct sc_allow *a;
	char user[64], id[17], *auto_note = NULL;
	int err = sc_allow_load(list, &a);

	if (err)
		return error("allowlist '%s' not changed: %s", list,
			     err == SC_EFORMAT ? "not a valid allowlist"
					       : sc_strerror(err));
	sc_storm_user(user, sizeof(user));
	if (!note) {
		size_t n = strlen(it->id) + 64;

		auto_note = malloc(n);
		if (!auto_note)
			die("out of memory");
		snprintf(auto_note, n, "restored from quarantine %s as a false "
			 "positive", it->id);
		note = auto_note;
	}
	for (size_t k = 0; !err && k < (it->ndet ? it->ndet : 1); k++) {
		char rule[512] = "";

		if (it->ndet)
			snprintf(rule, sizeof(rule), "%s:%s", it->det[k].ns,
				 it->det[k].rule);
		err = sc_allow_add(a, it->sha256, it->ndet ? rule : NULL, note,
				   user, id);
		if (!err)
			printf("allowed %s%s%s as entry %s in '%s'\n",
			       it->sha256, *rule ? " for rule " : "", rule, id,
			       list);
	}
	if (!err)
		err = sc_allow_save(a, list);
	sc_allow_free(a);
	free(auto_note);
	if (err)
		return error("cannot save the allowlist '%s': %s", list,
			     sc_strerror(err));
	return 0;
}

static void on_rescanned(const struct sc_quar_item *it, void *ctx)
{
	(void)ctx;
	printf("%s  %s\n", it->id,
	       it->rescan_detected ? "still detected"
	       : it->likely_fp	   ? "no longer detected: likely a false positive"
				   : "not detected");
}

int quarantine_rescan(const char *dir, const struct rules_src *src)
{
	struct sc_rules *rules;
	struct refusal *refused;
	size_t nrefused;
	struct sc_quar *q;
	char *defs;
	int err;

	if (rules_load(src, &rules, &refused, &nrefused))
		return -1;
	free(refused);
	defs = rules_describe(rules);
	q = open_store(dir, 0);
	printf("rescanning the quarantine '%s' with %s\n", dir, defs);
	err = sc_quar_rescan(q, rules, defs, 60, on_rescanned, NULL);
	sc_quar_close(q);
	free(defs);
	sc_rules_destroy(rules);
	if (err)
		return error("rescan of '%s' incomplete: %s", dir,
			     sc_strerror(err));
	return 0;
}

static struct sc_quar_item *get_item(struct sc_quar *q, const char *id)
{
	struct sc_quar_item *it;
	int err = sc_quar_get(q, id, &it);

	if (err == SC_EINVAL)
		die("no item '%s' in the quarantine '%s' (an id, or the start "
		    "of exactly one)",
		    id, sc_quar_dir(q));
	if (err)
		die("cannot read item '%s': %s", id, sc_strerror(err));
	return it;
}

int cmd_quarantine(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 'S' },
		{ "reason", required_argument, NULL, 'r' },
		{ "force", no_argument, NULL, 'f' },
		{ "copy", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'J' },
		{ "to", required_argument, NULL, 't' },
		{ "overwrite", no_argument, NULL, 'O' },
		{ "allow", no_argument, NULL, 'a' },
		{ "no-allow", no_argument, NULL, 'n' },
		{ "note", required_argument, NULL, 'N' },
		{ "list", required_argument, NULL, 'l' },
		{ "yes", no_argument, NULL, 'y' },
		{ "defs", required_argument, NULL, 'D' },
		{ "defs-store", required_argument, NULL, 'K' },
		{ "no-builtin", no_argument, NULL, 'B' },
		{ "rules", required_argument, NULL, 'R' },
		{ "unsigned-rules", no_argument, NULL, 'U' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = RESCUE_QUARANTINE, *reason = NULL, *to = NULL;
	const char *note = NULL, *list = RESCUE_ALLOWLIST, *out = NULL, *sub;
	struct rules_src src = { .builtin = 1 };
	int c, force = 0, copy = 0, json = 0, overwrite = 0, allow = -1;
	int yes = 0, status = EXIT_CLEAN, defaults = 1;
	struct sc_quar *q;

	if (argc < 2) {
		fputs(cmd_quarantine_usage, stderr);
		return EXIT_ERROR;
	}
	sub = argv[1];
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		switch (c) {
		case 'S': dir = optarg; break;
		case 'r': reason = optarg; break;
		case 'f': force = 1; break;
		case 'c': copy = 1; break;
		case 'J': json = 1; break;
		case 't': to = optarg; break;
		case 'O': overwrite = 1; break;
		case 'a': allow = 1; break;
		case 'n': allow = 0; break;
		case 'N': note = optarg; break;
		case 'l': list = optarg; break;
		case 'y': yes = 1; break;
		case 'D': list_add(&src.defs, optarg); defaults = 0; break;
		case 'K': src.store = optarg; defaults = 0; break;
		case 'B': src.builtin = 0; defaults = 0; break;
		case 'R': list_add(&src.rules, optarg); defaults = 0; break;
		case 'U': src.unsigned_ok = 1; break;
		case 'o': out = optarg; break;
		default:
			fputs(cmd_quarantine_usage, stderr);
			return EXIT_ERROR;
		}
	}

	if (!strcmp(sub, "add")) {
		if (optind >= argc)
			die("quarantine add: give at least one PATH");
		q = open_store(dir, 1);
		for (int i = optind; i < argc; i++) {
			struct sc_quar_req req = { 0 };
			struct sc_quar_result res;
			int err;

			req.path = argv[i];
			req.reason = reason ? reason : "manual";
			req.force = force;
			req.copy = copy;
			err = sc_quar_add(q, &req, &res);
			if (err) {
				error("'%s' not quarantined: %s", argv[i],
				      res.why[0] ? res.why : sc_strerror(err));
				status = EXIT_ERROR;
			} else if (res.kept) {
				printf("copied '%s' to the quarantine as %s; the "
				       "original stays in place%s\n",
				       argv[i], res.id,
				       res.critical && !copy
					       ? " (a critical system file: "
						 "--force moves it)"
					       : "");
			} else {
				printf("quarantined '%s' as %s\n", argv[i],
				       res.id);
				if (res.why[0])
					warning("%s", res.why);
			}
			sc_quar_result_free(&res);
		}
		sc_quar_close(q);
	} else if (!strcmp(sub, "list")) {
		struct sc_quar_item **items;
		size_t n;

		if (optind != argc)
			die("quarantine list takes no arguments");
		if (access(dir, F_OK) && errno == ENOENT) {
			/* No store yet: nothing was ever quarantined there. */
			fputs(json ? "[]\n" : "", stdout);
			if (!json)
				printf("the quarantine '%s' is empty\n", dir);
			rules_src_free(&src);
			return EXIT_CLEAN;
		}
		q = open_store(dir, 0);
		if (sc_quar_list(q, &items, &n))
			die("cannot list the quarantine '%s'", dir);
		if (json)
			fputs("[", stdout);
		for (size_t i = 0; i < n; i++) {
			if (json) {
				fputs(i ? ",\n" : "\n", stdout);
				sc_quar_item_write_json(items[i], stdout);
			} else {
				list_line(items[i]);
			}
		}
		if (json)
			fputs(n ? "\n]\n" : "]\n", stdout);
		else if (!n)
			printf("the quarantine '%s' is empty\n", dir);
		sc_quar_items_free(items, n);
		sc_quar_close(q);
	} else if (!strcmp(sub, "show")) {
		struct sc_quar_item *it;

		if (optind + 1 != argc)
			die("quarantine show: give one ID");
		q = open_store(dir, 0);
		it = get_item(q, argv[optind]);
		if (json) {
			sc_quar_item_write_json(it, stdout);
			putchar('\n');
		} else {
			show(it);
		}
		sc_quar_item_free(it);
		sc_quar_close(q);
	} else if (!strcmp(sub, "restore")) {
		struct sc_quar_restore_opts o = { to, overwrite };
		struct sc_quar_result res;
		struct sc_quar_item *it;
		int err;

		if (optind + 1 != argc)
			die("quarantine restore: give one ID");
		q = open_store(dir, 0);
		it = get_item(q, argv[optind]);
		err = sc_quar_restore(q, it->id, &o, &res);
		if (err) {
			error("%s not restored: %s", it->id,
			      res.why[0] ? res.why : sc_strerror(err));
			status = EXIT_ERROR;
		} else {
			printf("restored %s to '", it->id);
			put_bytes(stdout, res.where, strlen(res.where));
			printf("'\n");
			if (res.displaced)
				printf("the file that was there is kept in the "
				       "quarantine as %s\n",
				       res.displaced);
			if (res.why[0])
				warning("%s", res.why);
			if (allow < 0)
				allow = ask("Was it a false positive? Add it "
					    "to the allowlist so later scans "
					    "report it as allowed?");
			if (allow && allow_item(it, list, note))
				status = EXIT_ERROR;
			else if (!allow)
				printf("not added to the allowlist (rescue "
				       "allow add %s does it later)\n",
				       it->sha256);
		}
		sc_quar_result_free(&res);
		sc_quar_item_free(it);
		sc_quar_close(q);
	} else if (!strcmp(sub, "delete")) {
		struct sc_quar_item *it;
		int err;

		if (optind + 1 != argc)
			die("quarantine delete: give one ID");
		q = open_store(dir, 0);
		it = get_item(q, argv[optind]);
		if (it->state == SC_QUAR_PENDING)
			die("%s: its move was interrupted and is not settled "
			    "(its volume is not here to check); not deleted",
			    it->id);
		if (!yes) {
			char question[256];

			snprintf(question, sizeof(question),
				 "Delete %s for good? It cannot be restored "
				 "afterwards.",
				 it->id);
			if (!isatty(STDIN_FILENO))
				die("quarantine delete: not a terminal; add "
				    "--yes to delete %s",
				    it->id);
			if (!ask(question)) {
				printf("%s kept\n", it->id);
				sc_quar_item_free(it);
				sc_quar_close(q);
				return EXIT_CLEAN;
			}
		}
		err = sc_quar_delete(q, it->id);
		if (err)
			die("cannot delete %s: %s", it->id, sc_strerror(err));
		printf("deleted %s\n", it->id);
		sc_quar_item_free(it);
		sc_quar_close(q);
	} else if (!strcmp(sub, "rescan")) {
		if (optind != argc)
			die("quarantine rescan takes no arguments");
		if (defaults) {
			/* As the image's /init loads them. */
			if (!access(RESCUE_CORE_DEFS, R_OK)) {
				list_add(&src.defs, RESCUE_CORE_DEFS);
				src.builtin = 0;
			}
			if (!access(RESCUE_DEFS_STORE, R_OK))
				src.store = RESCUE_DEFS_STORE;
		}
		if (quarantine_rescan(dir, &src))
			status = EXIT_ERROR;
	} else if (!strcmp(sub, "report")) {
		if (optind + 1 != argc || !out)
			die("quarantine report: give one ID and -o FILE.zip");
		q = open_store(dir, 0);
		status = quarantine_report(q, argv[optind], out);
		sc_quar_close(q);
	} else if (!strcmp(sub, "recover")) {
		recovery_out = stdout;
		if (optind != argc)
			die("quarantine recover takes no arguments");
		if (access(dir, F_OK)) {
			printf("no quarantine at '%s'\n", dir);
		} else {
			q = open_store(dir, 0);
			printf("the quarantine '%s' is consistent\n", dir);
			sc_quar_close(q);
		}
	} else {
		error("unknown quarantine command '%s'", sub);
		fputs(cmd_quarantine_usage, stderr);
		status = EXIT_ERROR;
	}
	rules_src_free(&src);
	return status;
}
