/*
 * libFuzzer target for the partition-table parsers (sc_layout_parse).
 *
 * Input: one selector byte, then the disk. The selector picks the sector
 * size (byte % 3: 0 guess, 1 512, 2 4096) and the gap cap ((byte / 3) & 1:
 * none or 4 KiB). The disk is read from memory; a read the parser asks for
 * past the end of the disk, an area outside it, a gap that overlaps another
 * area or disagrees with its name, or a string without its NUL is a bug,
 * and aborts so libFuzzer keeps the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc/disk.h"
#include "sc/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
	const uint8_t *p;
	size_t n;
};

static int mem_read(void *ctx, uint64_t off, void *buf, size_t n)
{
	const struct mem *m = ctx;

	if (off > m->n || n > m->n - off)
		abort(); /* the parser must check ranges before reading */
	memcpy(buf, m->p + off, n);
	return 0;
}

/* Reads every byte of a fixed-size string field, up to its NUL. */
static size_t field_len(const char *s, size_t cap)
{
	const char *z = memchr(s, '\0', cap);

	if (!z)
		abort();
	return (size_t)(z - s);
}

static volatile size_t sink;

static int by_offset(const void *a, const void *b)
{
	const struct sc_area *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/*
 * Gaps are what nothing else covers: a gap named gap@S+C spans exactly
 * C sectors from S (length + capped bytes), and no other area overlaps it.
 */
static void check_gaps(const struct sc_layout *l)
{
	struct sc_area *v = malloc(l->nareas * sizeof(*v) + 1);
	uint64_t gap_end = 0, other_end = 0;

	if (!v)
		return;
	memcpy(v, l->areas, l->nareas * sizeof(*v));
	qsort(v, l->nareas, sizeof(*v), by_offset);
	for (size_t i = 0; i < l->nareas; i++) {
		unsigned long long s, n;

		if (strcmp(v[i].filetype, "GAP")) {
			if (v[i].capped || v[i].offset < gap_end)
				abort();
			if (v[i].offset + v[i].length > other_end)
				other_end = v[i].offset + v[i].length;
			continue;
		}
		if (sscanf(v[i].name, "gap@%llu+%llu", &s, &n) != 2 ||
		    s * l->sector_size != v[i].offset ||
		    n * l->sector_size != v[i].length + v[i].capped ||
		    v[i].offset < other_end || v[i].offset < gap_end)
			abort();
		gap_end = v[i].offset + v[i].length + v[i].capped;
	}
	free(v);
}

static void walk(const struct sc_layout *l)
{
	size_t t = strlen(l->table) + field_len(l->disk_guid, sizeof(l->disk_guid));

	for (size_t i = 0; i < l->nparts; i++) {
		const struct sc_partition *p = &l->parts[i];

		t += field_len(p->type_guid, sizeof(p->type_guid));
		t += field_len(p->guid, sizeof(p->guid));
		t += field_len(p->name, sizeof(p->name));
		t += strlen(p->type_name) + p->number + p->flags;
		t += (size_t)(p->start ^ p->sectors ^ p->attributes) + p->mbr_type;
	}
	for (size_t i = 0; i < l->nareas; i++) {
		const struct sc_area *a = &l->areas[i];

		if (!a->length || a->offset > l->size ||
		    a->length > l->size - a->offset)
			abort();
		t += field_len(a->name, sizeof(a->name)) + strlen(a->filetype);
		t += (size_t)a->capped;
	}
	for (size_t i = 0; i < l->nproblems; i++)
		t += strlen(l->problems[i]);
	sink = t;
	check_gaps(l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t sizes[3] = { 0, 512, 4096 };
	struct sc_layout *l = NULL;
	struct sc_reader rd;
	struct mem m;
	int rc;

	if (size < 1)
		return 0;
	m.p = data + 1;
	m.n = size - 1;
	rd.read = mem_read;
	rd.ctx = &m;
	rd.size = m.n;
	rd.sector_size = sizes[data[0] % 3];
	rc = sc_layout_parse(&rd, (data[0] / 3) & 1 ? 4096 : 0, &l);
	if (rc == SC_OK) {
		if (!l || l->size != m.n)
			abort();
		walk(l);
		sc_layout_free(l);
	} else if (l || (rc != SC_ENOTDISK && rc != SC_ENOMEM)) {
		abort(); /* memory never fails to read: only "too small" */
	}
	return 0;
}
