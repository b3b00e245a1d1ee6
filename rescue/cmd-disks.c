/*
 * rescue disks: lists disks (or disk images) with their partition tables,
 * partitions, boot areas and table problems. Reads only.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rescue.h"
#include "sc.h"

const char cmd_disks_usage[] =
	"usage: rescue disks [--json] [--areas] [--sector-size N] [PATH...]\n"
	"\n"
	"Lists every disk the kernel sees (or each PATH: a block device or a\n"
	"disk image) with its partition table, partitions and the problems\n"
	"found in the table. Nothing is written.\n"
	"\n"
	"      --json             write JSON to stdout\n"
	"      --areas            also list the boot areas a scan reads\n"
	"      --sector-size N    sector size of images (512 or 4096; default:\n"
	"                         the kernel's for devices, guessed for images)\n"
	"\n"
	"Exit status: 0, or 2 if a disk could not be read.\n";

static void human(uint64_t n, char *out, size_t sz)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)n;
	int i = 0;

	while (v >= 1024 && i < 5) {
		v /= 1024;
		i++;
	}
	snprintf(out, sz, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

static void print_flags(unsigned f)
{
	if (f & SC_PART_BOOTABLE) fputs(" bootable", stdout);
	if (f & SC_PART_EXTENDED) fputs(" extended", stdout);
	if (f & SC_PART_LOGICAL) fputs(" logical", stdout);
	if (f & SC_PART_ESP) fputs(" ESP", stdout);
	if (f & SC_PART_PAST_END) fputs(" PAST-END", stdout);
	if (f & SC_PART_OVERLAP) fputs(" OVERLAP", stdout);
}

static void print_disk(const char *path, const struct sc_disk_info *info,
		       const struct sc_layout *l, int areas)
{
	char size[32];

	human(l->size, size, sizeof(size));
	printf("%s: %s, %u-byte sectors", path, size, l->sector_size);
	if (info) {
		printf(", %s", info->transport);
		if (info->model[0])
			printf(", model \"%s\"", info->model);
		if (info->serial[0])
			printf(", serial \"%s\"", info->serial);
		if (info->removable)
			fputs(", removable", stdout);
	}
	printf("\n  partition table: %s", l->table);
	if (!strcmp(l->table, "gpt") && l->disk_guid[0])
		printf(", disk GUID %s", l->disk_guid);
	else if (!strcmp(l->table, "mbr"))
		printf(", disk id %08x", l->mbr_id);
	if (l->hybrid)
		fputs(", hybrid MBR", stdout);
	printf("\n  boot code: %s\n", l->boot_code ? l->boot_code : "-");
	if (l->nparts)
		printf("  %-4s %12s %12s %10s  %s\n", "#", "start", "sectors",
		       "size", "type");
	for (size_t i = 0; i < l->nparts; i++) {
		const struct sc_partition *p = &l->parts[i];
		char ps[32];

		human(p->sectors * (uint64_t)l->sector_size, ps, sizeof(ps));
		printf("  %-4u %12llu %12llu %10s  ", p->number,
		       (unsigned long long)p->start,
		       (unsigned long long)p->sectors, ps);
		if (p->type_guid[0])
			printf("%s", p->type_name);
		else
			printf("0x%02x %s", p->mbr_type, p->type_name);
		if (p->name[0]) {
			char *d = sc_display_name(p->name, strlen(p->name));

			printf(" \"%s\"", d ? d : "?");
			free(d);
		}
		print_flags(p->flags);
		if (p->fstype[0] || p->mountpoint[0]) {
			printf("\n  %4s %s", "", p->fstype[0] ? p->fstype : "-");
			if (p->label[0])
				printf(" \"%s\"", p->label);
			if (p->uuid[0])
				printf(" UUID %s", p->uuid);
			for (unsigned bit = 1; bit <= SC_VOL_ESP; bit <<= 1)
				if (p->vflags & bit & ~SC_VOL_ESP)
					printf(" %s", sc_volume_flag_name(bit));
			if (p->device[0])
				printf(", %s", p->device);
			if (p->mountpoint[0])
				printf(" on %s", p->mountpoint);
		}
		if (p->boot_code && p->boot_code[0] &&
		    strcmp(p->boot_code, "no boot code"))
			printf("\n  %4s boot code: %s", "", p->boot_code);
		fputc('\n', stdout);
	}
	if (!strcmp(l->fstype, "iso9660") && !strcmp(l->label, RESCUE_LABEL))
		puts("  this is a rescue medium (not scanned by default)");
	if (l->fstype[0]) {
		printf("  whole-disk filesystem: %s", l->fstype);
		if (l->label[0])
			printf(" \"%s\"", l->label);
		if (l->uuid[0])
			printf(" UUID %s", l->uuid);
		fputc('\n', stdout);
	}
	if (areas)
		for (size_t i = 0; i < l->nareas; i++) {
			const struct sc_area *a = &l->areas[i];
			char as[32];

			human(a->length, as, sizeof(as));
			printf("  area %-24s %-4s at %llu, %s%s\n", a->name,
			       a->filetype, (unsigned long long)a->offset, as,
			       a->capped ? " (capped)" : "");
		}
	for (size_t i = 0; i < l->nproblems; i++)
		printf("  problem: %s\n", l->problems[i]);
}

int cmd_disks(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "areas", no_argument, NULL, 'A' },
		{ "sector-size", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct sc_disk_info *infos = NULL;
	struct sc_layout **layouts;
	const char **paths, **errors;
	size_t n;
	int json = 0, areas = 0, c, status = EXIT_CLEAN;
	unsigned long ss = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'J': json = 1; break;
		case 'A': areas = 1; break;
		case 'S': {
			char *end;

			ss = strtoul(optarg, &end, 10);
			if (*end || (ss != 512 && ss != 4096))
				die("invalid --sector-size '%s': want 512 or 4096",
				    optarg);
			break;
		}
		default:
			fputs(cmd_disks_usage, stderr);
			return EXIT_ERROR;
		}
	}
	if (optind < argc) {
		n = (size_t)(argc - optind);
	} else {
		int err = sc_disks_list(NULL, &infos, &n);

		if (err)
			die("cannot list disks: %s: %s", sc_strerror(err),
			    strerror(errno));
	}
	layouts = calloc(n ? n : 1, sizeof(*layouts));
	paths = calloc(n ? n : 1, sizeof(*paths));
	errors = calloc(n ? n : 1, sizeof(*errors));
	if (!layouts || !paths || !errors)
		die("out of memory");
	for (size_t i = 0; i < n; i++) {
		int err;

		paths[i] = infos ? infos[i].path : argv[optind + (int)i];
		err = sc_layout_open(paths[i], (uint32_t)ss, SC_GAP_CAP_DEFAULT,
				     &layouts[i]);
		if (err) {
			const char *why = err == SC_ENOTDISK ? sc_strerror(err)
							     : strerror(errno);

			error("cannot read '%s': %s", paths[i], why);
			errors[i] = why;
			status = EXIT_ERROR;
		}
	}
	if (json) {
		if (sc_layout_write_json((const struct sc_layout *const *)layouts,
					 infos, paths, errors, n, stdout)) {
			error("cannot write the JSON to stdout");
			status = EXIT_ERROR;
		}
	} else {
		if (!n)
			puts("no disks found");
		for (size_t i = 0; i < n; i++) {
			if (layouts[i])
				print_disk(paths[i], infos ? &infos[i] : NULL,
					   layouts[i], areas);
			else
				printf("%s: not readable: %s\n", paths[i],
				       errors[i]);
			if (i + 1 < n)
				fputc('\n', stdout);
		}
	}
	for (size_t i = 0; i < n; i++)
		sc_layout_free(layouts[i]);
	free(layouts);
	free(paths);
	free(errors);
	free(infos);
	return status;
}
