/*
 * rescue allow: the allowlist on the rescue stick. A file allowed here is
 * reported as allowed by every later scan (with the entry), never as found.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "rescue.h"
#include "sc.h"

const char cmd_allow_usage[] =
	"usage: rescue allow add (SHA256 | --file PATH) [--rule NAME] [--note TEXT]\n"
	"       rescue allow list [--json]\n"
	"       rescue allow remove (ID | SHA256)\n"
	"\n"
	"The allowlist (default " RESCUE_ALLOWLIST ", on the rescue stick;\n"
	"--list FILE for another) holds files known to be good, by SHA-256,\n"
	"for every rule or one (NAME: \"namespace:rule\" or \"rule\"). Later\n"
	"scans given the list (rescue scan --allowlist FILE) report matching\n"
	"detections as allowed, with the entry, and do not count them as found.\n"
	"A list file that cannot be read as one is never overwritten.\n";

/* SHA-256 of a file, as hex. */
static int hash_file(const char *path, char out[65])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char buf[65536], md[32];
	unsigned int mdlen = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0 || !ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		if (fd >= 0)
			close(fd);
		EVP_MD_CTX_free(ctx);
		return -1;
	}
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(ctx, buf, (size_t)r);
	close(fd);
	if (r < 0 || !EVP_DigestFinal_ex(ctx, md, &mdlen)) {
		EVP_MD_CTX_free(ctx);
		return -1;
	}
	EVP_MD_CTX_free(ctx);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static struct sc_allow *load(const char *path)
{
	struct sc_allow *a;
	int err = sc_allow_load(path, &a);

	if (err == SC_EFORMAT)
		die("'%s' is not an allowlist (damaged?): nothing changed", path);
	if (err)
		die("cannot read '%s': %s", path, sc_strerror(err));
	return a;
}

int cmd_allow(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "rule", required_argument, NULL, 'r' },
		{ "note", required_argument, NULL, 'n' },
		{ "list", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL, *rule = NULL, *note = NULL;
	const char *path = RESCUE_ALLOWLIST, *sub;
	struct sc_allow *a;
	int c, json = 0, err;

	if (argc < 2) {
		fputs(cmd_allow_usage, stderr);
		return EXIT_ERROR;
	}
	sub = argv[1];
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': file = optarg; break;
		case 'r': rule = optarg; break;
		case 'n': note = optarg; break;
		case 'l': path = optarg; break;
		case 'J': json = 1; break;
		default:
			fputs(cmd_allow_usage, stderr);
			return EXIT_ERROR;
		}
	}
	argc -= 1;
	argv += 1;
	if (!strcmp(sub, "add")) {
		char sha[65], id[17], user[64];

		if (file ? optind != argc : optind + 1 != argc)
			die("allow add: give one SHA256, or --file PATH");
		if (file) {
			if (hash_file(file, sha))
				die("cannot read '%s': %s", file, strerror(errno));
		} else {
			snprintf(sha, sizeof(sha), "%s", argv[optind]);
		}
		a = load(path);
		sc_storm_user(user, sizeof(user));
		err = sc_allow_add(a, sha, rule, note, user, id);
		if (err == SC_EINVAL)
			die("'%s' is not a SHA-256 (64 hex digits)", argv[optind]);
		if (err || (err = sc_allow_save(a, path)))
			die("cannot save '%s': %s", path, sc_strerror(err));
		printf("allowed %s%s%s as entry %s in '%s'\n", sha,
		       rule ? " for rule " : "", rule ? rule : "", id, path);
	} else if (!strcmp(sub, "remove")) {
		if (optind + 1 != argc)
			die("allow remove: give one ID or SHA256");
		a = load(path);
		if (sc_allow_remove(a, argv[optind]))
			die("no entry '%s' in '%s'", argv[optind], path);
		err = sc_allow_save(a, path);
		if (err)
			die("cannot save '%s': %s", path, sc_strerror(err));
		printf("removed '%s' from '%s'\n", argv[optind], path);
	} else if (!strcmp(sub, "list")) {
		a = load(path);
		if (json) {
			/* The list file's own format is the JSON form. */
			char tmp[] = "/tmp/rescue-allow-XXXXXX";
			int fd = mkstemp(tmp);
			FILE *f;

			if (fd < 0)
				die("cannot make a temporary file: %s",
				    strerror(errno));
			close(fd);
			if (sc_allow_save(a, tmp) || !(f = fopen(tmp, "r")))
				die("cannot write the JSON");
			while ((c = fgetc(f)) != EOF)
				putchar(c);
			fclose(f);
			unlink(tmp);
		} else {
			for (size_t i = 0; i < a->n; i++) {
				const struct sc_allow_entry *e = &a->v[i];

				/* The file may have been edited: show safely. */
				char *r = sc_display_name(e->rule, strlen(e->rule));
				char *added = sc_display_name(e->added, strlen(e->added));
				char *by = sc_display_name(e->added_by, strlen(e->added_by));
				char *nt = sc_display_name(e->note, strlen(e->note));

				if (!r || !added || !by || !nt)
					die("out of memory");
				printf("%s %s %s added %s by %s", e->id,
				       e->sha256, *r ? r : "*", added, by);
				if (*nt)
					printf(": %s", nt);
				fputc('\n', stdout);
				free(r);
				free(added);
				free(by);
				free(nt);
			}
			if (!a->n)
				printf("the allowlist '%s' is empty\n", path);
		}
	} else {
		error("unknown allow command '%s'", sub);
		fputs(cmd_allow_usage, stderr);
		return EXIT_ERROR;
	}
	sc_allow_free(a);
	return EXIT_CLEAN;
}
