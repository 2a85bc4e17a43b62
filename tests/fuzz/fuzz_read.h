/*
 * fuzz_read.h: the body of the reader harnesses (fuzz_csv, fuzz_tsv,
 * fuzz_jsonl).  The input is read as one file of the given format through
 * an fmemopen(3) stream (a stream without a descriptor), at a read size
 * drawn from the input so that lines, CRLFs and fields are split at many
 * places; every record is checked to survive crm_rec_pack/unpack, then
 * written out in its own format and in another one through the writer,
 * and as JSON.  For half the inputs (by the sum of their bytes) the
 * longest record is 4 KiB, so that the reader's limit is reached too.
 * The encoding and (for CSV) the delimiter are sniffed from most inputs,
 * and given for some: GB18030 or UTF-16BE decoded by iconv(3), and ';'
 * or '|'; a JSONL input that starts with '[' is read as a JSON array.
 */
#ifndef CRM_FUZZ_READ_H
#define CRM_FUZZ_READ_H

#include <sysexits.h>

#include "fuzz.h"

#include "buf.h"
#include "rec.h"
#include "rec_int.h"

/* The record must come back from its packed form field by field. */
static inline void
fuzz_check_pack(const struct crm_rec *r, struct crm_rec *u, struct crm_buf *b)
{
	const char *p, *q;
	size_t i, plen, qlen;

	crm_buf_reset(b);
	if (crm_rec_pack(r, b) == -1)
		return;
	if (crm_rec_unpack(u, b->p) == 0)
		return;
	FUZZ_ASSERT(crm_rec_count(u) == crm_rec_count(r));
	FUZZ_ASSERT(crm_rec_line(u) == crm_rec_line(r));
	for (i = 0; i < crm_rec_count(r); i++) {
		p = crm_rec_name(r, i, &plen);
		q = crm_rec_name(u, i, &qlen);
		FUZZ_ASSERT(plen == qlen && memcmp(p, q, plen) == 0);
		p = crm_rec_value(r, i, &plen);
		q = crm_rec_value(u, i, &qlen);
		FUZZ_ASSERT(plen == qlen && memcmp(p, q, plen) == 0);
		FUZZ_ASSERT(crm_rec_type(r, i) == crm_rec_type(u, i));
	}
}

static inline int
fuzz_read(const uint8_t *data, size_t size, enum crm_format fmt,
    enum crm_format other)
{
	static const size_t chunks[] = { 0, 1, 2, 3, 7, 64, 4096 };
	static const char *const encs[] = { NULL, NULL, "GB18030", "UTF-16BE" };
	static const int delims[] = { 0, 0, ';', '|' };
	struct crm_read_opts ro;
	struct crm_reader *rd = NULL;
	struct crm_writer *w1 = NULL, *w2 = NULL;
	struct crm_rec *r = NULL, *u = NULL;
	struct crm_buf b;
	struct crm_err e;
	FILE *in = NULL, *out = NULL;
	char *copy = NULL, *text = NULL;
	size_t i, sum = 0, len = 0, nrec = 0;
	int rc;

	for (i = 0; i < size; i++)
		sum += data[i];
	crm_read_set_chunk(chunks[sum % (sizeof(chunks) / sizeof(chunks[0]))]);
	crm_buf_init(&b);
	/* a copy of its own: fmemopen(3) wants a non-empty, writable buffer */
	if ((copy = malloc(size + 1)) == NULL)
		goto out;
	memcpy(copy, data, size);
	copy[size] = '\0';
	if ((in = fmemopen(copy, size > 0 ? size : 1, "r")) == NULL)
		goto out;
	if (size == 0)
		fgetc(in); /* an empty input: at its end */
	if ((out = open_memstream(&text, &len)) == NULL)
		goto out;
	if ((r = crm_rec_new()) == NULL || (u = crm_rec_new()) == NULL)
		goto out;
	ro.fmt = fmt;
	ro.encoding = encs[sum / 7 % 4];
	ro.delim = fmt == CRM_FMT_CSV ? delims[sum / 28 % 4] : 0;
	if ((rd = crm_reader_open_with(in, "fuzz", &ro, &e)) == NULL)
		goto out;
	(void)crm_reader_note(rd);
	if (sum % 2 == 1) /* half the inputs: records over 4 KiB rejected */
		crm_reader_set_max(rd, 4096);
	(void)crm_reader_header(rd);
	if ((w1 = crm_writer_new(out, crm_reader_format(rd))) == NULL ||
	    (w2 = crm_writer_new(out, other)) == NULL)
		goto out;
	while ((rc = crm_reader_next(rd, r, &e)) != 0 && nrec < 100000) {
		nrec++;
		if (rc == -1) {
			if (e.code != EX_DATAERR)
				break;
			(void)crm_rec_raw(r, &i);
			continue;
		}
		fuzz_check_pack(r, u, &b);
		(void)crm_writer_put(w1, r, &e);
		(void)crm_writer_put(w2, r, &e);
		crm_buf_reset(&b);
		(void)crm_rec_to_json(r, &b);
		crm_buf_reset(&b);
		(void)crm_rec_fields_to_json(
		    r, NULL, crm_rec_count(r), CRM_JSON_SKIP_NULL, &b);
	}
	(void)crm_writer_flush(w1, &e);
	(void)crm_writer_flush(w2, &e);
out:
	crm_writer_free(w1);
	crm_writer_free(w2);
	crm_reader_close(rd);
	crm_rec_free(r);
	crm_rec_free(u);
	crm_buf_release(&b);
	if (out != NULL)
		fclose(out);
	if (in != NULL)
		fclose(in);
	free(text);
	free(copy);
	crm_read_set_chunk(0);
	return 0;
}

#endif
