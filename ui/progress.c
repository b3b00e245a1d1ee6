/*
 * Scan progress, drawn from the engine's progress callback (ui/scan.c):
 * a bar on bytes against the pre-count, files/s, MB/s, ETA, the current
 * path and live counts. p pauses, c cancels (asks).
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "ui.h"

static void draw(struct ui *u)
{
	const struct sc_progress *p = &u->prog;
	int y = ui_body_top() + 1, w = COLS - 4;
	double frac = u->estimate ? (double)p->bytes_done / (double)u->estimate
				  : 0;
	double rate = p->seconds > 0 ? (double)p->bytes_done / p->seconds : 0;
	char done[32], total[32];
	size_t held = 0, allowed = 0;

	ui_bytes(p->bytes_done, done);
	ui_bytes(u->estimate, total);
	ui_heading(y++, u->canceled && u->scanning
				? "Cancelling: finishing the files already "
				  "handed to the workers"
			: u->paused   ? "Scanning (PAUSED: p resumes)"
			: u->scanning ? "Scanning"
				      : "Scan");
	y++;
	ui_bar(y++, 2, COLS - 4, frac > 1 ? 1 : frac);
	ui_printf(y++, 2, w, "%s of about %s (%.0f%%)", done, total,
		  frac > 1 ? 100.0 : frac * 100);
	y++;
	ui_printf(y++, 2, w, "files: %llu   %.0f files/s   %.1f MB/s",
		  (unsigned long long)p->files_done,
		  p->seconds > 0 ? (double)p->files_done / p->seconds : 0.0,
		  rate / 1e6);
	if (rate > 0 && u->estimate > p->bytes_done) {
		unsigned eta = (unsigned)((double)(u->estimate - p->bytes_done) /
					  rate);

		ui_printf(y++, 2, w, "elapsed %.0f s, about %u min %02u s left",
			  p->seconds, eta / 60, eta % 60);
	} else {
		ui_printf(y++, 2, w, "elapsed %.0f s", p->seconds);
	}
	y++;
	for (size_t i = 0; i < u->nhits; i++) {
		held += (size_t)u->hits[i].held;
		allowed += (size_t)u->hits[i].allowed;
	}
	attron(ui_attr(u->nhits ? ROLE_WARN : ROLE_OK));
	ui_printf(y++, 2, w, "with detections: %zu", u->nhits);
	attroff(ui_attr(u->nhits ? ROLE_WARN : ROLE_OK));
	ui_printf(y++, 2, w, "held: %zu   allowed: %zu   (known when the scan "
		  "ends)", held, allowed);
	ui_printf(y++, 2, w, "not scanned: %zu", u->nskips);
	y++;
	ui_printf(y, 2, 10, "target:");
	ui_put(u, y++, 12, COLS - 14, u->current ? u->current : "-", SIZE_MAX);
	ui_printf(y, 2, 10, "now:");
	ui_put(u, y++, 12, COLS - 14, u->cur_path, SIZE_MAX);
}

static int act(struct ui *u, enum ui_act a)
{
	/* Keys while scanning are read in ui/scan.c; after it, back. */
	(void)u;
	return a == A_PAUSE || a == A_CANCEL;
}

const struct ui_screen ui_progress = { "Scanning", NULL, draw, act };
