/*
 * Home / readiness: what this rescue session has to work with. Disks and
 * controllers (a storage controller with no driver is named: its disks are
 * invisible), volumes and their flags, the definitions in use and their
 * age, where the quarantine and the reports go, and every warning in one
 * plain sentence.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ui.h"

struct home {
	struct sc_disk_info *disks;
	size_t ndisks;
	struct sc_controller *ctl;
	size_t nctl;
	struct sc_volume *vols;
	size_t nvols;
	int loaded;
};

static struct home H;

static void load(struct ui *u)
{
	free(H.disks);
	free(H.ctl);
	free(H.vols);
	memset(&H, 0, sizeof(H));
	sc_disks_list(NULL, &H.disks, &H.ndisks);
	sc_controllers_list(NULL, &H.ctl, &H.nctl);
	H.vols = calloc(u->cfg->ntargets + 1, sizeof(*H.vols));
	for (size_t i = 0; H.vols && i < u->cfg->ntargets; i++)
		if (sc_volume_of_path(u->cfg->targets[i], &H.vols[H.nvols]) ==
		    SC_OK)
			H.nvols++;
	H.loaded = 1;
}

static void enter(struct ui *u)
{
	load(u);
}

static int line(int y, int rows)
{
	return y < ui_body_top() + rows;
}

static void draw(struct ui *u)
{
	int y = ui_body_top(), rows = ui_body_rows(), w = COLS - 4;
	size_t nsets = sc_rules_set_count(u->cfg->rules);
	char size[32];
	time_t now = time(NULL);

	if (!H.loaded)
		load(u);
	ui_heading(y++, "Disks");
	for (size_t i = 0; i < H.ndisks && line(y, rows); i++, y++) {
		ui_bytes(H.disks[i].size, size);
		ui_printf(y, 3, w, "%-10s %-8s %10s  %s%s", H.disks[i].name,
			  H.disks[i].transport, size, H.disks[i].model,
			  H.disks[i].removable ? " (removable)" : "");
	}
	if (!H.ndisks && line(y, rows)) {
		attron(ui_attr(ROLE_DANGER));
		ui_printf(y++, 3, w, "no disks found");
		attroff(ui_attr(ROLE_DANGER));
	}
	if (H.nctl && line(y, rows)) {
		char all[256] = "";
		size_t len = 0;

		/* Every storage controller, with its driver. */
		for (size_t i = 0; i < H.nctl && len + 48 < sizeof(all); i++)
			len += (size_t)snprintf(all + len, sizeof(all) - len,
						"%s%s (%s)", i ? ", " : "",
						H.ctl[i].kind,
						H.ctl[i].driver[0] ? H.ctl[i].driver
								   : "NO DRIVER");
		ui_printf(y++, 3, w, "controllers: %s", all);
	}
	for (size_t i = 0; i < H.nctl && line(y, rows); i++) {
		if (H.ctl[i].driver[0])
			continue;
		attron(ui_attr(ROLE_DANGER));
		ui_printf(y++, 3, w, "controller %s (%s) has no driver: its "
			  "disks cannot be seen", H.ctl[i].address,
			  H.ctl[i].kind);
		attroff(ui_attr(ROLE_DANGER));
	}
	if (line(y + 1, rows))
		ui_heading(++y, "Volumes to scan"), y++;
	for (size_t i = 0; i < H.nvols && line(y, rows); i++, y++) {
		const struct sc_volume *v = &H.vols[i];
		char flags[80] = "";

		for (unsigned b = 1; b <= SC_VOL_ESP; b <<= 1)
			if (v->flags & b) {
				strcat(flags, " ");
				strcat(flags, sc_volume_flag_name(b));
			}
		if (v->read_only_reason)
			attron(ui_attr(ROLE_WARN));
		ui_printf(y, 3, w, "%-12s %-6s %-14.14s %s%s", v->device,
			  v->fstype, v->label, v->mountpoint, flags);
		if (v->read_only_reason)
			attroff(ui_attr(ROLE_WARN));
	}
	if (!u->cfg->ntargets && line(y, rows))
		ui_printf(y++, 3, w, "no mounted volumes (boot areas only)");
	if (line(y + 1, rows))
		ui_heading(++y, "Definitions"), y++;
	for (size_t i = 0; i < nsets && line(y, rows); i++, y++) {
		const struct sc_rules_set *s = sc_rules_set(u->cfg->rules, i);
		long age = s->created ? (long)((now - s->created) / 86400) : -1;
		int old = age > 30;

		if (old)
			attron(ui_attr(ROLE_WARN));
		if (s->version)
			ui_printf(y, 3, w, "%-10s v%-5llu %5u rules  %ld days old%s  "
				  "signed by %s", s->name,
				  (unsigned long long)s->version, s->rules,
				  age, old ? " (OLD)" : "",
				  *s->key_name ? s->key_name : "-");
		else
			ui_printf(y, 3, w, "%-10s %12u rules  unsigned (local)",
				  s->name, s->rules);
		if (old)
			attroff(ui_attr(ROLE_WARN));
	}
	if (line(y + 1, rows))
		ui_heading(++y, "Where things go"), y++;
	if (line(y, rows))
		ui_printf(y++, 3, w, "quarantine: %s", u->cfg->quarantine_dir);
	if (line(y, rows))
		ui_printf(y++, 3, w, "reports:    %s",
			  u->cfg->reports_dir ? u->cfg->reports_dir
					      : "nowhere (no RESCUEDATA partition)");
	/* Warnings, one sentence each. */
	for (size_t i = 0; i < H.nvols && line(y + 1, rows); i++)
		if (H.vols[i].read_only_reason) {
			attron(ui_attr(ROLE_WARN));
			ui_printf(++y, 1, COLS - 2, "! %s: %s", H.vols[i].device,
				  H.vols[i].read_only_reason);
			attroff(ui_attr(ROLE_WARN));
		}
	if (!u->cfg->reports_dir && line(y + 1, rows)) {
		attron(ui_attr(ROLE_WARN));
		ui_printf(++y, 1, COLS - 2, "! no RESCUEDATA partition: reports "
			  "and the quarantine cannot be kept on the stick");
		attroff(ui_attr(ROLE_WARN));
	}
	if (u->scanned && line(y + 2, rows)) {
		y += 2;
		ui_printf(y, 1, COLS - 2, "Last scan: %zu with detections, %zu "
			  "not scanned (r: results)", u->nhits, u->nskips);
	}
}

static int act(struct ui *u, enum ui_act a)
{
	switch (a) {
	case A_SETUP:
		ui_push(u, UI_SETUP);
		return 1;
	case A_PLAN: /* r: the last results */
		if (u->scanned)
			ui_push(u, UI_RESULTS);
		else
			ui_say(u, ROLE_NORMAL, "no scan yet: s starts one");
		return 1;
	case A_BACK:
		return 1; /* home is the bottom */
	default:
		return 0;
	}
}

const struct ui_screen ui_home = { "Ready", enter, draw, act };
