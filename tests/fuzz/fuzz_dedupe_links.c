/*
 * fuzz_dedupe_links: the readers of crm-dedupe in shards (lib/
 * dedupe_shard.c): each JSONL record of the input as a link of a pairs
 * file (crm_dedupe_link_parse, for reconcile) under a model of 11 rules
 * and any number of fields, then of 8, and its block alone as a key
 * record's (crm_dedupe_block_parse, for pairs).  A refusal is EX_DATAERR
 * naming a field; a link read has a rule below 11, a key not 0, levels
 * of -1 to 4 and a probability from 0 to 1; a block written back as
 * crm-dedupe keys writes it reads back the same.
 */
#include "fuzz.h"

#include <inttypes.h>
#include <sysexits.h>

#include "dedupe.h"
#include "rec.h"

#define NRULES 11

static void
check_link(const struct crm_rec *r, size_t nf)
{
	struct crm_dedupe_link l;
	struct crm_err e;
	char block[32];
	uint64_t key;
	size_t f, rule;

	crm_err_clear(&e);
	if (crm_dedupe_link_parse(r, NRULES, nf, &l, &e) == -1) {
		FUZZ_ASSERT(e.code == EX_DATAERR && e.field[0] != '\0');
		return;
	}
	FUZZ_ASSERT(l.rule < NRULES && l.key != 0);
	FUZZ_ASSERT(l.nf <= CRM_LINK_MAXFIELDS && (nf == 0 || l.nf == nf));
	FUZZ_ASSERT(l.p >= 0 && l.p <= 1);
	FUZZ_ASSERT(l.len1 > 0 && l.len2 > 0);
	for (f = 0; f < l.nf; f++)
		FUZZ_ASSERT(l.lev[f] >= -1 && l.lev[f] < CRM_LINK_MAXLEV);
	snprintf(block, sizeof(block), "%zu.%016" PRIx64, l.rule, l.key);
	FUZZ_ASSERT(crm_dedupe_block_parse(
			block, strlen(block), NRULES, &rule, &key, &e) == 0);
	FUZZ_ASSERT(rule == l.rule && key == l.key);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_reader *rd;
	struct crm_rec *r;
	struct crm_err e;
	const char *v;
	char *copy;
	size_t len, rule;
	uint64_t key;
	FILE *in;
	int rc;

	if (size == 0 || (copy = malloc(size)) == NULL)
		return 0;
	memcpy(copy, data, size);
	if ((in = fmemopen(copy, size, "r")) == NULL) {
		free(copy);
		return 0;
	}
	crm_err_clear(&e);
	r = crm_rec_new();
	rd = crm_reader_open(in, "fuzz", CRM_FMT_JSONL, &e);
	while (
	    r != NULL && rd != NULL && (rc = crm_reader_next(rd, r, &e)) != 0) {
		if (rc == -1) {
			if (e.code != EX_DATAERR)
				break;
			continue;
		}
		check_link(r, 0);
		check_link(r, 8);
		if ((v = crm_rec_text(r, CRM_DEDUPE_BLOCK, &len)) != NULL &&
		    crm_dedupe_block_parse(v, len, NRULES, &rule, &key, &e) ==
			0)
			FUZZ_ASSERT(rule < NRULES && key != 0);
	}
	crm_reader_close(rd);
	crm_rec_free(r);
	fclose(in);
	free(copy);
	return 0;
}
