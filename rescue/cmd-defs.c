/*
 * rescue defs: signed definitions bundles. keygen makes a signing key pair,
 * build compiles YARA sources into a signed bundle, verify checks bundles
 * against the keys compiled into this program.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "rescue.h"
#include "sc.h"

#define DEFAULT_STORE "/data/defs"

const char cmd_defs_usage[] =
	"usage: rescue defs keygen -o PREFIX\n"
	"       rescue defs build RULES... --set NAME --version N --key KEY\n"
	"                         -o FILE [--allow-slow]\n"
	"       rescue defs verify FILE...\n"
	"       rescue defs install FILE... [--store DIR] [--quarantine DIR]\n"
	"       rescue defs list [--store DIR]\n"
	"       rescue defs rollback SET [--store DIR]\n"
	"       rescue defs disable SET | enable SET [--store DIR]\n"
	"\n"
	"keygen   makes an Ed25519 key pair: PREFIX.key (private, keep it off\n"
	"         the image) and PREFIX.pub (copy into rescue/keys/ to trust it)\n"
	"build    compiles each YARA file (or directory of them) in its own\n"
	"         namespace and writes a bundle signed with KEY. A file with\n"
	"         errors fails the build; rules libyara says slow down scanning\n"
	"         fail it too unless --allow-slow\n"
	"verify   checks each bundle: format, signature against the trusted\n"
	"         keys, YARA version; prints its set, version, date and signer\n"
	"install  verifies a bundle and makes it its set's active version in\n"
	"         the store (default " DEFAULT_STORE ", on the rescue stick);\n"
	"         a version not newer than the active one is refused; then\n"
	"         the quarantine (default " RESCUE_QUARANTINE ") is rescanned\n"
	"         with the new definitions (rescue quarantine rescan)\n"
	"list     each set in the store: active version, date, age, signer,\n"
	"         rules, enabled or not, the versions kept (the last three)\n"
	"rollback makes the previous installed version of SET active again\n"
	"disable  stops loading SET without deleting it; enable undoes that\n"
	"\n"
	"Every change to the store is logged in its log.txt.\n"
	"\n"
	"Exit status: 0 success, 2 error or refusal.\n";

static char *read_all(const char *path, size_t *n, size_t max)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, alloc = 0;

	if (!f)
		return NULL;
	for (;;) {
		size_t r;

		if (len == alloc) {
			char *p;

			alloc = alloc ? alloc * 2 : 65536;
			if (alloc > max + 1)
				alloc = max + 1;
			p = realloc(buf, alloc + 1);
			if (!p || len == alloc) {
				free(p ? p : buf);
				fclose(f);
				errno = p ? EFBIG : ENOMEM;
				return NULL;
			}
			buf = p;
		}
		errno = 0;
		r = fread(buf + len, 1, alloc - len, f);
		len += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		int e = errno ? errno : EIO; /* EISDIR for a directory */

		free(buf);
		fclose(f);
		errno = e;
		return NULL;
	}
	fclose(f);
	if (len > max) {
		free(buf);
		errno = EFBIG;
		return NULL;
	}
	buf[len] = '\0';
	*n = len;
	return buf;
}

static int keygen(int argc, char **argv)
{
	const char *prefix = NULL;
	unsigned char pub[32];
	char *pem, path[4096], pubpath[4096], id[17];
	size_t len;
	FILE *f;
	int fd;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			prefix = argv[++i];
		else
			die("defs keygen: unexpected '%s'", argv[i]);
	}
	if (!prefix)
		die("defs keygen: give -o PREFIX");
	if (sc_defs_keygen(&pem, &len, pub))
		die("cannot make a key pair");
	/* Both files new (O_EXCL): never overwrite a key someone depends on,
	 * and never leave a private key without its public half. */
	snprintf(path, sizeof(path), "%s.key", prefix);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		die("cannot create '%s': %s", path, strerror(errno));
	snprintf(pubpath, sizeof(pubpath), "%s.pub", prefix);
	f = fopen(pubpath, "wx");
	if (!f) {
		int e = errno;

		close(fd);
		unlink(path);
		die("cannot create '%s': %s", pubpath, strerror(e));
	}
	sc_defs_key_id(pub, id);
	fprintf(f, "# rescue definitions key %s (Ed25519)\n", id);
	for (int i = 0; i < 32; i++)
		fprintf(f, "%02x", pub[i]);
	fputc('\n', f);
	if (write(fd, pem, len) != (ssize_t)len || close(fd) || fclose(f)) {
		int e = errno;

		unlink(path);
		unlink(pubpath);
		die("cannot write the key pair: %s", strerror(e));
	}
	free(pem);
	printf("key id %s: %s.key (private), %s.pub (public)\n", id, prefix,
	       prefix);
	return EXIT_CLEAN;
}

struct build_diag {
	int slow;
	int errors;
};

static void build_diag(const struct sc_diag *d, void *ctx)
{
	struct build_diag *b = ctx;

	if (d->level == SC_DIAG_ERROR) {
		b->errors++;
		error("%s:%d: %s", d->file, d->line, d->message);
	} else if (strstr(d->message, "slow")) {
		b->slow++;
		error("%s:%d: %s", d->file, d->line, d->message);
	} else {
		warning("%s:%d: %s", d->file, d->line, d->message);
	}
}

/* SHA-256 over each loaded source: its path, a NUL, its bytes. */
static void sources_sha256(const struct sc_rules *rules, char out[65])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		die("out of memory");
	for (size_t i = 0; i < sc_rules_source_count(rules); i++) {
		const struct sc_rules_source *s = sc_rules_source(rules, i);
		size_t n;
		char *text = read_all(s->path, &n, 64u << 20);

		if (!text)
			die("cannot read '%s': %s", s->path, strerror(errno));
		EVP_DigestUpdate(ctx, s->path, strlen(s->path) + 1);
		EVP_DigestUpdate(ctx, text, n);
		free(text);
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int build(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "set", required_argument, NULL, 's' },
		{ "version", required_argument, NULL, 'v' },
		{ "key", required_argument, NULL, 'k' },
		{ "output", required_argument, NULL, 'o' },
		{ "allow-slow", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	const char *set = NULL, *key = NULL, *out = NULL;
	unsigned long long version = 0;
	struct build_diag bd = { 0, 0 };
	struct sc_rules *rules;
	char sha[65], *pem, tmp[4096], *end;
	size_t pem_len, n;
	void *data;
	int c, allow_slow = 0, err;
	FILE *f;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		switch (c) {
		case 's': set = optarg; break;
		case 'v':
			errno = 0;
			version = strtoull(optarg, &end, 10);
			if (errno || *end || !version || *optarg == '-')
				die("invalid --version '%s': want a number >= 1",
				    optarg);
			break;
		case 'k': key = optarg; break;
		case 'o': out = optarg; break;
		case 'S': allow_slow = 1; break;
		default:
			fputs(cmd_defs_usage, stderr);
			return EXIT_ERROR;
		}
	}
	if (!set || !version || !key || !out || optind >= argc)
		die("defs build: give RULES, --set, --version, --key and -o");
	if (!sc_defs_valid_set(set))
		die("invalid set name '%s': want 1 to %d of a-z 0-9 - _", set,
		    SC_DEFS_SET_MAX);
	pem = read_all(key, &pem_len, 65536);
	if (!pem)
		die("cannot read key '%s': %s", key, strerror(errno));
	if (sc_rules_create(build_diag, &bd, &rules))
		die("cannot set up the rule compiler");
	for (int i = optind; i < argc; i++) {
		err = sc_rules_add_path(rules, argv[i]);
		if (err == SC_EOPEN)
			die("cannot read rules '%s': %s", argv[i],
			    strerror(errno));
	}
	if (bd.errors)
		die("rules with errors: nothing written");
	if (bd.slow && !allow_slow)
		die("%d rule(s) would slow down scanning (listed above); fix "
		    "them or pass --allow-slow", bd.slow);
	err = sc_rules_compile(rules);
	if (err)
		die("cannot compile: %s", sc_strerror(err));
	sources_sha256(rules, sha);
	if (sc_rules_save_local(rules, &data, &n))
		die("cannot save the compiled rules");
	/* Write beside the target, then rename: never a half bundle. A new
	 * file (O_EXCL, no symlink followed) under a name of our own. */
	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", out, (long)getpid());
	{
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
			      0644);

		f = fd < 0 ? NULL : fdopen(fd, "wb");
		if (!f)
			die("cannot create '%s': %s", tmp, strerror(errno));
	}
	err = sc_defs_write(f, set, version, (int64_t)time(NULL),
			    sc_rules_count(rules), sha, data, n, pem, pem_len);
	if (fclose(f) && !err)
		err = SC_EWRITE;
	if (err) {
		unlink(tmp);
		die("cannot write the bundle: %s%s", sc_strerror(err),
		    err == SC_EINVAL ? " (version above 2^62, a clock outside "
				       "2000-2200, or not an Ed25519 key)"
				     : "");
	}
	if (rename(tmp, out))
		die("cannot rename '%s' to '%s': %s", tmp, out, strerror(errno));
	printf("%s: set %s version %llu, %u rules, %zu bytes\n", out, set,
	       version, sc_rules_count(rules), n + SC_DEFS_HEADER_SIZE +
						    SC_DEFS_SIG_SIZE);
	free(data);
	free(pem);
	sc_rules_destroy(rules);
	return EXIT_CLEAN;
}

static int verify(int argc, char **argv)
{
	int status = EXIT_CLEAN;

	if (argc < 2)
		die("defs verify: give at least one FILE");
	for (int i = 1; i < argc; i++) {
		const struct sc_defs_key *key;
		struct sc_defs_info info;
		const char *why;
		char *data;
		size_t n;
		int err;

		data = read_all(argv[i], &n, SC_DEFS_MAX_SIZE);
		if (!data) {
			error("'%s' refused: %s", argv[i],
			      errno == EFBIG ? "oversized" : strerror(errno));
			status = EXIT_ERROR;
			continue;
		}
		err = sc_defs_verify((const unsigned char *)data, n,
				     trusted_keys, trusted_keys_count, &info,
				     &key, &why);
		free(data);
		if (err) {
			error("'%s' refused: %s", argv[i], why);
			status = EXIT_ERROR;
			continue;
		}
		{
			char when[32];
			time_t t = (time_t)info.created;
			struct tm tm;
			long age = (long)((time(NULL) - t) / 86400);

			gmtime_r(&t, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
			printf("%s: OK: set %s version %llu, %u rules, made %s "
			       "(%ld days ago), signed by %s (key %s), YARA %s\n",
			       argv[i], info.set,
			       (unsigned long long)info.version, info.rules,
			       when, age, key->name, info.key_id,
			       info.yara_version);
		}
	}
	return status;
}

/* Takes "OPT DIR" or "OPT=DIR" out of argv; returns DIR or dflt. */
static const char *dir_arg(int *argc, char **argv, const char *opt,
			   const char *dflt)
{
	size_t n = strlen(opt);
	int o = 1;

	for (int i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], opt) && i + 1 < *argc) {
			dflt = argv[++i];
			continue;
		}
		if (!strncmp(argv[i], opt, n) && argv[i][n] == '=') {
			dflt = argv[i] + n + 1;
			continue;
		}
		argv[o++] = argv[i];
	}
	*argc = o;
	return dflt;
}

/* Takes "--store DIR" out of argv; returns the store. */
static const char *store_arg(int *argc, char **argv)
{
	return dir_arg(argc, argv, "--store", DEFAULT_STORE);
}

static int install(int argc, char **argv)
{
	const char *store = store_arg(&argc, argv);
	const char *quar = dir_arg(&argc, argv, "--quarantine",
				   RESCUE_QUARANTINE);
	int status = EXIT_CLEAN, installed = 0;

	if (argc < 2)
		die("defs install: give at least one FILE");
	for (int i = 1; i < argc; i++) {
		struct sc_defs_info info;
		const char *why = NULL;
		int err = sc_defstore_install(store, argv[i], trusted_keys,
					      trusted_keys_count, &info, &why);

		if (err) {
			error("'%s' refused: %s", argv[i],
			      why ? why
			      : err == SC_EOPEN ? strerror(errno)
						: sc_strerror(err));
			status = EXIT_ERROR;
			continue;
		}
		printf("installed %s version %llu into '%s' (now active)\n",
		       info.set, (unsigned long long)info.version, store);
		installed++;
	}
	if (installed && !access(quar, F_OK)) {
		/* New definitions may clear quarantined false positives. */
		struct rules_src src = { .builtin = 1, .store = store };

		if (!access(RESCUE_CORE_DEFS, R_OK)) {
			list_add(&src.defs, RESCUE_CORE_DEFS);
			src.builtin = 0;
		}
		if (quarantine_rescan(quar, &src))
			status = EXIT_ERROR;
		rules_src_free(&src);
	}
	return status;
}

static int list(int argc, char **argv)
{
	const char *store = store_arg(&argc, argv);
	struct sc_defstore_set *sets;
	size_t n;
	time_t now = time(NULL);

	if (argc > 1)
		die("defs list: unexpected '%s'", argv[1]);
	if (sc_defstore_list(store, trusted_keys, trusted_keys_count, &sets,
			     &n)) {
		if (errno == ENOENT) {
			printf("no definitions store at '%s'\n", store);
			return EXIT_CLEAN;
		}
		die("cannot read the store '%s': %s", store, strerror(errno));
	}
	for (size_t i = 0; i < n; i++) {
		const struct sc_defstore_set *s = &sets[i];

		printf("%s: ", s->name);
		if (s->problem) {
			printf("version %llu REFUSED: %s",
			       (unsigned long long)s->active, s->problem);
		} else {
			char when[32];
			time_t t = (time_t)s->info.created;
			struct tm tm;

			gmtime_r(&t, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d", &tm);
			printf("version %llu of %s (%ld days old), %u rules, "
			       "signed by %s (key %s)",
			       (unsigned long long)s->active, when,
			       (long)((now - t) / 86400), s->info.rules,
			       s->key ? s->key->name : "?", s->info.key_id);
		}
		printf(", %s; kept:", s->disabled ? "DISABLED" : "enabled");
		for (size_t k = 0; k < s->nversions; k++)
			printf(" %llu", (unsigned long long)s->versions[k]);
		fputc('\n', stdout);
	}
	if (!n)
		printf("no sets installed in '%s'\n", store);
	free(sets);
	return EXIT_CLEAN;
}

static int set_cmd(int argc, char **argv, int what)
{
	const char *store = store_arg(&argc, argv);
	const char *why = NULL;
	uint64_t v = 0;
	int err;

	if (argc != 2)
		die("defs %s: give one SET", argv[0]);
	if (what == 0)
		err = sc_defstore_rollback(store, argv[1], &v, &why);
	else
		err = sc_defstore_enable(store, argv[1], what == 1, &why);
	if (err) {
		error("cannot %s '%s': %s", argv[0], argv[1],
		      why ? why : strerror(errno));
		return EXIT_ERROR;
	}
	if (what == 0)
		printf("%s rolled back to version %llu\n", argv[1],
		       (unsigned long long)v);
	else
		printf("%s %s\n", argv[1], what == 1 ? "enabled" : "disabled");
	return EXIT_CLEAN;
}

int cmd_defs(int argc, char **argv)
{
	if (argc < 2) {
		fputs(cmd_defs_usage, stderr);
		return EXIT_ERROR;
	}
	if (!strcmp(argv[1], "keygen"))
		return keygen(argc - 1, argv + 1);
	if (!strcmp(argv[1], "build"))
		return build(argc - 1, argv + 1);
	if (!strcmp(argv[1], "verify"))
		return verify(argc - 1, argv + 1);
	if (!strcmp(argv[1], "install"))
		return install(argc - 1, argv + 1);
	if (!strcmp(argv[1], "list"))
		return list(argc - 1, argv + 1);
	if (!strcmp(argv[1], "rollback"))
		return set_cmd(argc - 1, argv + 1, 0);
	if (!strcmp(argv[1], "enable"))
		return set_cmd(argc - 1, argv + 1, 1);
	if (!strcmp(argv[1], "disable"))
		return set_cmd(argc - 1, argv + 1, 2);
	error("unknown defs command '%s'", argv[1]);
	fputs(cmd_defs_usage, stderr);
	return EXIT_ERROR;
}
