/*
 * test_tagmodel: crm-tag's model (lib/tagmodel.c): scores and clusters of
 * one record from the model alone, the CRMTAG1 text written and read
 * back the same, field names escaped, and damaged text refused with its
 * line.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "rfm.h"
#include "tagmodel.h"
#include "tap.h"

/* A model of RFM boundaries and 3 clusters of 2 fields, one named oddly. */
static void
make(struct crm_tagmodel *m)
{
	static const char *const rfm[3] = { "recency", "frequency",
		"monetary" };
	static const char *const names[2] = { "visits", "50% spend" };
	static const double centre[6] = { 0, 0, 1, 1, -1, 1 };
	static const double bound[3][4] = { { 10, 20, 30, 40 }, { 1, 1, 2, 4 },
		{ 10.5, 20, 40, 80 } };

	crm_tagmodel_init(m);
	crm_tagmodel_set_rfm(m, rfm);
	memcpy(m->bound, bound, sizeof(bound));
	crm_tagmodel_set_kmeans(m, 3, 2, names, 1);
	m->mean[0] = 1;
	m->mean[1] = 2;
	m->scale[0] = 2;
	m->scale[1] = 0.5;
	memcpy(m->centre, centre, sizeof(centre));
}

static void
test_apply(void)
{
	struct crm_tagmodel m;
	unsigned char s[3];
	double v[3] = { 5, 4, 80 }, x[2], dist;
	int c;

	make(&m);
	TAP_OK(crm_tagmodel_rfm(&m, v, s) == 1 && s[0] == 5 && s[1] == 4 &&
		   s[2] == 4,
	    "recency 5 scores 5, frequency 4 is on a boundary: 4, so is "
	    "monetary 80: %d %d %d",
	    s[0], s[1], s[2]);
	TAP_OK(s[1] == crm_rfm_score(4, m.bound[1], 0), "the same as "
							"crm_rfm_score");
	v[1] = NAN;
	TAP_OK(crm_tagmodel_rfm(&m, v, s) == 0 && s[0] == 0 && s[2] == 0,
	    "a missing value: no scores");
	x[0] = 3;   /* z = 1 */
	x[1] = 2.5; /* z = 1 */
	c = crm_tagmodel_cluster(&m, x, &dist);
	TAP_OK(c == 1 && dist == 0, "z (1, 1) is on centre 1: %d %g", c, dist);
	x[0] = 1;   /* z = 0 */
	x[1] = 2.5; /* z = 1: as near centre 0 as 1 and 2 */
	c = crm_tagmodel_cluster(&m, x, &dist);
	TAP_OK(c == 0 && dist == 1, "of equals, the first: %d %g", c, dist);
	x[1] = NAN;
	TAP_OK(crm_tagmodel_cluster(&m, x, &dist) == -1, "NaN: no cluster");
	x[0] = 1e300; /* z = 5e299: its square overflows */
	x[1] = 2;
	c = crm_tagmodel_cluster(&m, x, &dist);
	TAP_OK(c == -2, "too far to measure: -2, not centre 0 at inf: %d %g", c,
	    dist);
	x[0] = -1.7e308; /* x - mean overflows */
	TAP_OK(crm_tagmodel_cluster(&m, x, &dist) == -2, "a z-score of -inf");
	crm_tagmodel_release(&m);
}

static void
test_text(void)
{
	struct crm_tagmodel m, r;
	struct crm_buf b, b2;
	struct crm_err e;

	make(&m);
	crm_tagmodel_init(&r);
	crm_buf_init(&b);
	crm_buf_init(&b2);
	TAP_OK(crm_tagmodel_write(&m, &b) == 0, "written");
	TAP_OK(
	    strncmp(b.p, "CRMTAG1\nrfm recency frequency monetary\n", 39) == 0,
	    "the magic first");
	TAP_OK(strstr(b.p, "\nfield 50%25%20spend 2 0.5\n") != NULL, "a name "
								     "with a "
								     "space "
								     "and a %% "
								     "is "
								     "escaped");
	TAP_OK(
	    crm_tagmodel_read(&r, b.p, b.len, "m", &e) == 0, "read: %s", e.msg);
	TAP_STR(r.field[1], "50% spend", "the name read back");
	TAP_OK(r.k == 3 && r.d == 2 && r.log && r.rfm && r.scale[1] == 0.5 &&
		   r.bound[2][0] == 10.5 && r.centre[4] == -1,
	    "the numbers read back the same");
	crm_tagmodel_write(&r, &b2);
	TAP_OK(b.len == b2.len && memcmp(b.p, b2.p, b.len) == 0, "written "
								 "again, the "
								 "same bytes");

	crm_err_clear(&e);
	TAP_OK(crm_tagmodel_read(&r, b.p, b.len - 1, "m", &e) == -1 &&
		   e.code == EX_DATAERR && e.line == 12 && e.file != NULL &&
		   strstr(e.msg, "newline") != NULL,
	    "the last newline cut: line 12, %s", e.msg);
	TAP_OK(r.k == 0 && r.field == NULL, "a model that fails is released");
	crm_err_clear(&e);
	TAP_OK(crm_tagmodel_read(&r,
		   "CRMTAG1\nkmeans 2 1 linear\nfield x 0 "
		   "0\ncentre 1\ncentre 2\nend\n",
		   46, "m", &e) == -1 &&
		   e.line == 3 && strstr(e.msg, "scale") != NULL,
	    "a scale of 0: %s", e.msg);
	crm_buf_reset(&b);
	m.by = CRM_BY_PERSON;
	crm_tagmodel_write(&m, &b);
	TAP_OK(strncmp(b.p, "CRMTAG1\nby person\nrfm ", 22) == 0 &&
		   crm_tagmodel_read(&r, b.p, b.len, "m", &e) == 0 &&
		   r.by == CRM_BY_PERSON,
	    "by person, written second and read back");
	crm_err_clear(&e);
	TAP_OK(crm_tagmodel_read(
		   &r, "CRMTAG1\nby people\nend\n", 23, "m", &e) == -1 &&
		   e.line == 2,
	    "by people: %s", e.msg);
	crm_err_clear(&e);
	TAP_OK(crm_tagmodel_read(&r, "CRMTAG1\nkmeans 0 1 linear\nend\n", 30,
		   "m", &e) == -1 &&
		   e.line == 2,
	    "0 clusters: %s", e.msg);
	crm_err_clear(&e);
	TAP_OK(crm_tagmodel_read(&r, "CRMFS003....", 12, "m", &e) == -1 &&
		   strstr(e.msg, "another crmkit tool (CRMFS003)") != NULL,
	    "another tool's: %s", e.msg);
	crm_buf_release(&b);
	crm_buf_release(&b2);
	crm_tagmodel_release(&m);
	crm_tagmodel_release(&r);
}

int
main(void)
{
	test_apply();
	test_text();
	return tap_done();
}
