/*
 * Definitions (D): the sets the scan uses now (name, version, date and
 * age, rules, signer), sets older than 30 days marked, and, with a
 * definitions store, the store's sets: active version, the versions kept,
 * enabled or not. r rolls the selected store set back to the version
 * before, e disables or enables it (both ask; No by default); then the
 * rules are compiled again through the program's reload_rules and the
 * outcome is said.
 */
#include <curses.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ui.h"

#define OLD_DAYS 30

static struct {
	struct sc_defstore_set *sets;
	size_t n;
	int err;        /* the store could not be listed: errno */
	int rows;       /* store rows shown: the page for PgUp/PgDn */
} S;

static void load(struct ui *u)
{
	free(S.sets);
	S.sets = NULL;
	S.n = 0;
	S.err = 0;
	if (!u->cfg->defs_store)
		return;
	errno = 0;
	if (sc_defstore_list(u->cfg->defs_store, u->cfg->keys, u->cfg->nkeys,
			     &S.sets, &S.n)) {
		S.err = errno ? errno : EIO;
		S.sets = NULL;
		S.n = 0;
	}
}

static void enter(struct ui *u)
{
	load(u);
}

static long age_days(int64_t created, time_t now)
{
	return created ? (long)((now - (time_t)created) / 86400) : -1;
}

static void date_of(int64_t t, char out[16])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
}

/* The newest kept version older than the active one, or 0. */
static uint64_t previous(const struct sc_defstore_set *s)
{
	uint64_t v = 0;

	for (size_t k = 0; k < s->nversions; k++)
		if (s->versions[k] < s->active && s->versions[k] > v)
			v = s->versions[k];
	return v;
}

/* 1 if the scan uses this store set's active version now. */
static int in_use(const struct ui *u, const struct sc_defstore_set *s)
{
	size_t n = sc_rules_set_count(u->cfg->rules);

	for (size_t i = 0; i < n; i++) {
		const struct sc_rules_set *r = sc_rules_set(u->cfg->rules, i);

		if (!strcmp(r->name, s->name) && r->version == s->active)
			return 1;
	}
	return 0;
}

/*
 * The sets in use, one line each (two when the signer does not fit);
 * returns the next row.
 */
static int draw_in_use(struct ui *u, int y, int end)
{
	size_t n = sc_rules_set_count(u->cfg->rules);
	time_t now = time(NULL);
	int w = COLS - 4;

	ui_heading(y++, "In use by the scan");
	if (!n && y < end)
		ui_printf(y++, 3, w, "no rules loaded");
	for (size_t i = 0; i < n && y < end; i++) {
		const struct sc_rules_set *s = sc_rules_set(u->cfg->rules, i);
		long age = age_days(s->created, now);
		int old = s->version && age > OLD_DAYS;
		char line[256], signer[160], date[16];

		if (!s->version) {
			snprintf(line, sizeof(line), "%-10s %u rules, unsigned "
				 "(local sources)", s->name, s->rules);
			ui_put(u, y++, 3, w, line, SIZE_MAX);
			continue;
		}
		date_of(s->created, date);
		snprintf(line, sizeof(line), "%-10s v%-5llu of %s, %ld %s old%s, "
			 "%u rules", s->name, (unsigned long long)s->version,
			 date, age, age == 1 ? "day" : "days",
			 old ? " (OLD)" : "", s->rules);
		snprintf(signer, sizeof(signer), "signed by %s, key %s",
			 *s->key_name ? s->key_name : "?", s->key_id);
		if (old)
			attron(ui_attr(ROLE_WARN));
		ui_put(u, y, 3, w, line, SIZE_MAX);
		if ((int)(strlen(line) + 2 + strlen(signer)) <= w) {
			ui_put(u, y, 3 + (int)strlen(line) + 2,
			       w - (int)strlen(line) - 2, signer, SIZE_MAX);
		} else if (y + 1 < end) {
			ui_put(u, ++y, 14, w - 11, signer, SIZE_MAX);
		}
		if (old)
			attroff(ui_attr(ROLE_WARN));
		y++;
	}
	return y;
}

/* The store set's line: version, date, rules, state, versions kept. */
static void store_line(const struct ui *u, const struct sc_defstore_set *s,
		       char *out, size_t n)
{
	char date[16], kept[128] = "";
	size_t k, len = 0;

	for (k = 0; k < s->nversions && len + 24 < sizeof(kept); k++)
		len += (size_t)snprintf(kept + len, sizeof(kept) - len, "%s%llu",
					k ? " " : "",
					(unsigned long long)s->versions[k]);
	if (s->problem) {
		snprintf(out, n, "%-10s v%-5llu REFUSED: %s", s->name,
			 (unsigned long long)s->active, s->problem);
		return;
	}
	date_of(s->info.created, date);
	snprintf(out, n, "%-10s v%-5llu of %s  %5u rules  %-8s %-7s kept: %s",
		 s->name, (unsigned long long)s->active, date, s->info.rules,
		 s->disabled ? "DISABLED" : "enabled",
		 in_use(u, s) ? "in use" : "", kept);
}

static void draw(struct ui *u)
{
	struct ui_list *l = &u->list[UI_DEFS];
	int top = ui_body_top(), end = top + ui_body_rows();
	int y, rows, w = COLS - 4;
	time_t now = time(NULL);
	char line[512];

	y = draw_in_use(u, top, end - 4);
	y++;
	if (!u->cfg->defs_store) {
		ui_heading(y++, "Store");
		ui_printf(y, 3, w, "no definitions store in this session "
			  "(rescue ui --store DIR)");
		return;
	}
	ui_heading(y, "Store ");
	attron(ui_attr(ROLE_HEADING));
	ui_put(u, y++, 7, COLS - 8, u->cfg->defs_store, SIZE_MAX);
	attroff(ui_attr(ROLE_HEADING));
	if (S.err) {
		ui_printf(y, 3, w, S.err == ENOENT ? "no definitions store there"
			  : "cannot read the store: %s", strerror(S.err));
		return;
	}
	if (!S.n) {
		ui_printf(y, 3, w, "no sets installed");
		return;
	}
	/* The selected set in full takes the last two rows. */
	rows = end - 2 - y;
	S.rows = rows;
	ui_list_fit(l, S.n, rows);
	for (size_t i = l->top; i < S.n && y < end - 2; i++, y++) {
		const struct sc_defstore_set *s = &S.sets[i];
		long age = age_days(s->info.created, now);
		int cur = i == l->sel;
		int role = s->problem ? ROLE_DANGER
			   : s->disabled ? ROLE_DIM
			   : age > OLD_DAYS ? ROLE_WARN : ROLE_NORMAL;

		store_line(u, s, line, sizeof(line));
		attron(cur ? ui_attr(ROLE_SELECTED) : ui_attr(role));
		mvhline(y, 1, ' ', COLS - 2);
		ui_put(u, y, 3, w, line, SIZE_MAX);
		attroff(cur ? ui_attr(ROLE_SELECTED) : ui_attr(role));
	}
	{
		const struct sc_defstore_set *s = &S.sets[l->sel];
		uint64_t prev = previous(s);
		long age = age_days(s->info.created, now);

		y = end - 2;
		if (s->problem)
			snprintf(line, sizeof(line), "%s: the active bundle is "
				 "refused; %s", s->name, prev ? "r goes back "
				 "to the version before" : "no older version kept");
		else
			snprintf(line, sizeof(line), "%s: %ld %s old%s, signed by "
				 "%s, key %s", s->name, age,
				 age == 1 ? "day" : "days",
				 age > OLD_DAYS ? " (OLD)" : "",
				 s->key ? s->key->name : "?", s->info.key_id);
		ui_put(u, y++, 3, w, line, SIZE_MAX);
		if (prev)
			snprintf(line, sizeof(line), "r: back to version %llu   "
				 "e: %s it", (unsigned long long)prev,
				 s->disabled ? "enable" : "disable");
		else
			snprintf(line, sizeof(line), "no older version kept to "
				 "roll back to   e: %s it",
				 s->disabled ? "enable" : "disable");
		attron(ui_attr(ROLE_DIM));
		ui_put(u, y, 3, w, line, SIZE_MAX);
		attroff(ui_attr(ROLE_DIM));
	}
}

/* The version of set name the scan uses now, or 0 (none, or "local"). */
static uint64_t loaded_version(const struct ui *u, const char *name)
{
	size_t n = sc_rules_set_count(u->cfg->rules);

	for (size_t i = 0; i < n; i++) {
		const struct sc_rules_set *r = sc_rules_set(u->cfg->rules, i);

		if (!strcmp(r->name, name))
			return r->version;
	}
	return 0;
}

/*
 * After a change to set name in the store: compile the rules again and
 * say so, checking that the scan now uses what the store says.
 */
static void reload(struct ui *u, const char *name, const char *done)
{
	char why[256] = "", sets[256] = "";
	size_t len = 0, n;
	uint64_t want = 0, have;

	load(u);
	if (!u->cfg->reload_rules) {
		ui_say(u, ROLE_WARN, "%s; the scan uses it from the next start "
		       "of rescue", done);
		return;
	}
	if (u->cfg->reload_rules(&u->cfg->rules, why, sizeof(why),
				 u->cfg->ctx)) {
		ui_say(u, ROLE_DANGER, "%s, but the rules were not reloaded: %s "
		       "(the scan keeps the rules it had)", done,
		       why[0] ? why : "unknown error");
		return;
	}
	n = sc_rules_set_count(u->cfg->rules);
	for (size_t i = 0; i < n && len + 48 < sizeof(sets); i++) {
		const struct sc_rules_set *s = sc_rules_set(u->cfg->rules, i);

		len += (size_t)snprintf(sets + len, sizeof(sets) - len,
					s->version ? "%s%s v%llu" : "%s%s",
					i ? ", " : "", s->name,
					(unsigned long long)s->version);
	}
	for (size_t i = 0; i < S.n; i++)
		if (!strcmp(S.sets[i].name, name) && !S.sets[i].disabled &&
		    !S.sets[i].problem)
			want = S.sets[i].active;
	have = loaded_version(u, name);
	if (have != want) {
		/* The program's reload did not do what the store says. */
		if (have)
			ui_say(u, ROLE_WARN, "%s, but after reloading the scan "
			       "still uses %s v%llu", done, name,
			       (unsigned long long)have);
		else
			ui_say(u, ROLE_WARN, "%s, but after reloading the scan "
			       "does not use %s", done, name);
		return;
	}
	ui_say(u, ROLE_OK, "%s; the scan now uses %s", done,
	       n ? sets : "no rules");
}

static void rollback(struct ui *u, const struct sc_defstore_set *s)
{
	char name[sizeof(s->name)], question[160], detail[200], done[160];
	const char *why = NULL;
	uint64_t prev = previous(s), v = 0;

	snprintf(name, sizeof(name), "%s", s->name);
	if (!prev) {
		ui_say(u, ROLE_WARN, "%s: no version older than %llu is kept: "
		       "nothing to roll back to", name,
		       (unsigned long long)s->active);
		return;
	}
	snprintf(question, sizeof(question), "Roll %s back from version %llu "
		 "to version %llu?", name, (unsigned long long)s->active,
		 (unsigned long long)prev);
	snprintf(detail, sizeof(detail), "Scans use version %llu from now on. "
		 "Version %llu stays on the stick.", (unsigned long long)prev,
		 (unsigned long long)s->active);
	if (!ui_confirm(u, question, detail)) {
		ui_say(u, ROLE_NORMAL, "%s not rolled back", name);
		return;
	}
	errno = 0;
	if (sc_defstore_rollback(u->cfg->defs_store, name, &v, &why)) {
		ui_say(u, ROLE_DANGER, "cannot roll back '%s': %s", name,
		       why ? why : strerror(errno));
		load(u);
		return;
	}
	snprintf(done, sizeof(done), "%s rolled back to version %llu", name,
		 (unsigned long long)v);
	reload(u, name, done);
}

static void enable(struct ui *u, const struct sc_defstore_set *s)
{
	char name[sizeof(s->name)], question[160], done[160];
	const char *why = NULL;
	int on = s->disabled;

	snprintf(name, sizeof(name), "%s", s->name);
	snprintf(question, sizeof(question), "%s the definitions set %s?",
		 on ? "Enable" : "Disable", name);
	if (!ui_confirm(u, question, on ? "Scans use it again."
			: "Scans stop using it; nothing is deleted, and e "
			  "enables it again.")) {
		ui_say(u, ROLE_NORMAL, "%s left %s", name,
		       on ? "disabled" : "enabled");
		return;
	}
	errno = 0;
	if (sc_defstore_enable(u->cfg->defs_store, name, on, &why)) {
		ui_say(u, ROLE_DANGER, "cannot %s '%s': %s",
		       on ? "enable" : "disable", name,
		       why ? why : strerror(errno));
		load(u);
		return;
	}
	snprintf(done, sizeof(done), "%s %s", name, on ? "enabled" : "disabled");
	reload(u, name, done);
}

static int act(struct ui *u, enum ui_act a)
{
	struct ui_list *l = &u->list[UI_DEFS];

	if (ui_list_move(l, a, S.n, S.rows))
		return 1;
	switch (a) {
	case A_ROLLBACK:
	case A_ENABLE:
		if (!u->cfg->defs_store)
			ui_say(u, ROLE_WARN, "no definitions store in this "
			       "session: nothing to change");
		else if (!S.n)
			ui_say(u, ROLE_WARN, "no sets in the store");
		else if (a == A_ROLLBACK)
			rollback(u, &S.sets[l->sel]);
		else
			enable(u, &S.sets[l->sel]);
		return 1;
	default:
		return 0;
	}
}

const struct ui_screen ui_defs = { "Definitions", enter, draw, act };
