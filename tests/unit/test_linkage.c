/*
 * test_linkage: unit tests for string similarity (lib/strsim.c), record
 * linkage (lib/linkage.c) and the Fellegi-Sunter model (lib/fellegi.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "buf.h"
#include "err.h"
#include "fellegi.h"
#include "linkage.h"
#include "strsim.h"
#include "tap.h"

#define NEAR(a, b) (fabs((a) - (b)) < 0.001)

static double
jw(const char *a, const char *b)
{
	return crm_jaro_winkler(a, strlen(a), b, strlen(b));
}

static size_t
lev(const char *a, const char *b, size_t max)
{
	return crm_levenshtein(a, strlen(a), b, strlen(b), max);
}

static void
test_strsim(void)
{
	char sx[5];

	/* Winkler's own examples */
	TAP_OK(NEAR(jw("martha", "marhta"), 0.961), "jw martha marhta");
	TAP_OK(NEAR(jw("dwayne", "duane"), 0.840), "jw dwayne duane");
	TAP_OK(NEAR(jw("dixon", "dicksonx"), 0.813), "jw dixon dicksonx");
	TAP_OK(jw("", "") == 1 && jw("a", "") == 0, "jw empty");
	TAP_OK(jw("abc", "xyz") == 0, "jw nothing shared");
	TAP_OK(NEAR(jw("王芳", "王芳"), 1), "jw Chinese, same");
	TAP_OK(NEAR(jw("王小芳", "王晓芳"), 0.8), "jw Chinese, by character");
	TAP_OK(lev("kitten", "sitting", 5) == 3, "levenshtein kitten");
	TAP_OK(lev("kitten", "sitting", 2) == 3, "levenshtein cut short");
	TAP_OK(lev("王芳", "王方", 3) == 1, "levenshtein by character");
	TAP_OK(lev("abc", "abc", 0) == 0, "levenshtein same");
	TAP_OK(crm_soundex("Robert", 6, sx) == 0 && strcmp(sx, "R163") == 0,
	    "soundex Robert");
	TAP_OK(crm_soundex("Rupert", 6, sx) == 0 && strcmp(sx, "R163") == 0,
	    "soundex Rupert");
	TAP_OK(crm_soundex("Ashcraft", 8, sx) == 0 && strcmp(sx, "A261") == 0,
	    "soundex Ashcraft (h does not part)");
	TAP_OK(crm_soundex("Tymczak", 7, sx) == 0 && strcmp(sx, "T522") == 0,
	    "soundex Tymczak");
	TAP_OK(crm_soundex("Pfister", 7, sx) == 0 && strcmp(sx, "P236") == 0,
	    "soundex Pfister");
	TAP_OK(crm_soundex("王芳", strlen("王芳"), sx) == -1, "soundex of no "
							      "Latin letter");
}

static void
test_guess(void)
{
	static const struct {
		const char *field;
		enum crm_cmp want;
	} cases[] = {
		{ "given_name", CRM_CMP_NAME },
		{ "surname", CRM_CMP_NAME },
		{ "LastName", CRM_CMP_NAME },
		{ "email", CRM_CMP_EMAIL },
		{ "mobile_phone", CRM_CMP_PHONE },
		{ "tel", CRM_CMP_PHONE },
		{ "date_of_birth", CRM_CMP_DATE },
		{ "postcode", CRM_CMP_CODE },
		{ "state", CRM_CMP_EXACT },
		{ "street_number", CRM_CMP_NUMBER },
		{ "soc_sec_id", CRM_CMP_ID },
		{ "address_1", CRM_CMP_ADDRESS },
		{ "suburb", CRM_CMP_TEXT },
		{ "created_at", CRM_CMP_IGNORE },
		{ "signup_date", CRM_CMP_IGNORE },
		{ "channel", CRM_CMP_IGNORE },
		{ "cluster_id", CRM_CMP_IGNORE },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		TAP_OK(crm_cmp_guess(cases[i].field) == cases[i].want,
		    "guess %s: %s", cases[i].field,
		    crm_cmp_name(cases[i].want));
}

/* What a progress callback heard. */
static struct {
	const char *phase;
	unsigned long long last, total;
	int calls;
} steps;

static void
heard(void *arg, const char *phase, const char *unit, unsigned long long done,
    unsigned long long total)
{
	(void)arg;
	(void)unit;
	steps.phase = phase;
	steps.last = done;
	steps.total = total;
	steps.calls++;
}

/*
 * A value looked up among those kept once is compared with each it meets
 * on its way in the table: never past the end of the shorter one (the
 * text's last value ends where its buffer does: a value of 100 bytes
 * read there from ran past it; caught by ASan).
 */
static void
test_intern_bounds(void)
{
	static const enum crm_cmp cmp[] = { CRM_CMP_EXACT };
	struct crm_linkset *s = crm_linkset_new(cmp, 1, NULL);
	char a[60], lng[101];
	const char *val[1];
	size_t len[1], want, k;

	/* the text: its NUL, 59 bytes and a NUL, "xy" and a NUL: 64 bytes,
	   the buffer's first size */
	memset(a, 'a', 59);
	a[59] = '\0';
	val[0] = a;
	len[0] = 59;
	TAP_OK(s != NULL && crm_linkset_add(s, val, len) == 0, "a long value");
	val[0] = "xy";
	len[0] = 2;
	TAP_OK(crm_linkset_add(s, val, len) == 1, "a short one");
	/* a value of 100 bytes whose place in the table (1024 entries) is
	   taken by "xy": compared with it */
	want = (size_t)XXH3_64bits("xy", 2) & 1023;
	memset(lng, 'b', 100);
	lng[100] = '\0';
	for (k = 0; k < 100000; k++) {
		snprintf(lng, sizeof(lng), "%05zu", k);
		lng[5] = 'b';
		if (((size_t)XXH3_64bits(lng, 100) & 1023) == want)
			break;
	}
	val[0] = lng;
	len[0] = 100;
	TAP_OK(k < 100000 && crm_linkset_add(s, val, len) == 2, "a long value "
								"meeting a "
								"short one at "
								"the text's "
								"end");
	TAP_OK(crm_linkset_value(s, 2, 0, &len[0]) != NULL && len[0] == 100,
	    "kept whole");
	crm_linkset_free(s);
}

static void
test_linkset(void)
{
	struct crm_progress_cb pg = { heard, NULL };
	static const enum crm_cmp cmp[] = { CRM_CMP_NAME, CRM_CMP_PHONE,
		CRM_CMP_DATE };
	static const char *const names[] = { "name", "phone", "dob" };
	static const char *const rows[][3] = {
		{ "Wang Fang", "+86 138-0013-8000", "1985-03-07" },
		{ "Fang Wang", "13800138000", "1985/03/07" },
		{ "Li Lei", "(0086)13911112222", "19850703" },
		{ "Li Lei", "", "1985-07-03" },
	};
	struct crm_block_rule rules[4];
	struct crm_pair_stats st[4];
	struct crm_linkset *s = crm_linkset_new(cmp, 3, NULL);
	struct crm_pair *pairs = NULL;
	struct crm_err e;
	size_t len[3], i, f, nr;
	const char *v;
	char text[64];
	int l[3];
	long n;

	crm_err_clear(&e);
	for (i = 0; i < 4; i++) {
		for (f = 0; f < 3; f++)
			len[f] = strlen(rows[i][f]);
		TAP_OK(
		    crm_linkset_add(s, rows[i], len) == (long)i, "add %zu", i);
	}
	v = crm_linkset_value(s, 0, 1, &len[0]);
	TAP_STR(v, "13800138000", "a phone to its digits");
	v = crm_linkset_value(s, 1, 2, &len[0]);
	TAP_STR(v, "19850307", "a date to YYYYMMDD");
	TAP_OK(crm_linkset_value(s, 3, 1, &len[0]) == NULL, "missing is NULL");
	crm_linkset_compare(s, 0, 1, l);
	TAP_OK(l[0] == 3 && l[1] == 3 && l[2] == 3, "names in another order "
						    "nearly exact, phone and "
						    "date exact");
	crm_linkset_compare(s, 2, 3, l);
	TAP_OK(l[0] == 4 && l[1] == -1 && l[2] == 3, "a missing phone is -1");
	crm_linkset_compare(s, 0, 2, l);
	TAP_OK(l[2] == 2, "day and month swapped: level 2 of 3");

	nr = crm_block_defaults(cmp, 3, rules, 4);
	TAP_OK(nr == 2, "default rules: phone, name+dob");
	crm_block_format(&rules[0], names, text, sizeof(text));
	TAP_STR(text, "phone:-8", "a phone blocks on its last 8 digits");
	TAP_OK(crm_block_parse("name:3+dob", names, 3, &rules[2], &e) == 0,
	    "parse name:3+dob");
	TAP_OK(crm_block_parse("nope", names, 3, &rules[2], &e) == -1 &&
		   strstr(e.msg, "nope") != NULL,
	    "an unknown field is named");
	TAP_OK(crm_block_parse("name:soundex", names, 3, &rules[2], &e) == 0 &&
		   rules[2].key[0].soundex,
	    "parse soundex");
	n = crm_block_pairs(s, rules, nr, NULL, 0, 100, &pairs, st, &pg, &e);
	TAP_OK(steps.calls >= 2 && steps.last == steps.total &&
		   steps.total == 2 * crm_linkset_count(s) &&
		   strcmp(steps.phase, "blocking") == 0,
	    "the progress hears of every blocking key (%llu of %llu, %d "
	    "calls)",
	    steps.last, steps.total, steps.calls);
	TAP_OK(n == 2 && pairs[0].i == 0 && pairs[0].j == 1 &&
		   st[0].pairs == 1 && pairs[1].i == 2 && pairs[1].j == 3 &&
		   st[1].pairs == 1,
	    "a pair by the phone rule, one by name+dob");
	free(pairs);
	n = crm_block_pairs(s, rules, nr, NULL, 0, 1, &pairs, st, NULL, &e);
	TAP_OK(n == 0 && st[0].skipped_blocks == 1, "a block above the cap is "
						    "skipped and counted");
	free(pairs);
	crm_linkset_free(s);
}

static void
test_uf(void)
{
	struct crm_uf u;

	TAP_OK(crm_uf_init(&u, 5) == 0, "union-find");
	TAP_OK(crm_uf_union(&u, 0, 1, 3) == 1, "join 0 1");
	TAP_OK(crm_uf_union(&u, 1, 2, 3) == 1, "join 1 2");
	TAP_OK(crm_uf_union(&u, 0, 2, 3) == 0, "already one set");
	TAP_OK(crm_uf_union(&u, 2, 3, 3) == -1, "a fourth is refused");
	TAP_OK(crm_uf_find(&u, 3) == 3, "3 stays alone");
	crm_uf_release(&u);
}

static void
test_fs(void)
{
	static const char *const names[] = { "name", "dob", "phone", "email" };
	static const enum crm_cmp cmp[] = { CRM_CMP_NAME, CRM_CMP_DATE,
		CRM_CMP_PHONE, CRM_CMP_EMAIL };
	/* matches mostly agree, the others mostly do not */
	static const struct {
		int lev[4];
		uint64_t n;
	} pat[] = {
		{ { 4, 3, 3, 3 }, 250 },
		{ { 4, 3, 3, 0 }, 30 },
		{ { 4, 0, 3, 3 }, 20 },
		{ { 4, 0, 0, 0 }, 600 },
		{ { 4, 3, 0, 0 }, 50 },
		{ { 4, 0, 0, 3 }, 50 },
	};
	struct crm_block_rule rule;
	struct crm_patterns p;
	struct crm_fs fs, back;
	struct crm_buf b;
	struct crm_err e;
	size_t i;
	long k;

	crm_err_clear(&e);
	crm_buf_init(&b);
	crm_patterns_init(&p, 4);
	for (i = 0; i < sizeof(pat) / sizeof(pat[0]); i++) {
		k = crm_patterns_index(&p, pat[i].lev, 0);
		p.count[k] = pat[i].n;
	}
	TAP_OK(crm_patterns_index(&p, pat[0].lev, 0) == 0 && p.n == 6, "a "
								       "pattern"
								       " is "
								       "counted"
								       " once");
	memset(&rule, 0, sizeof(rule));
	rule.nkeys = 1;
	rule.key[0].field = 0;
	TAP_OK(crm_fs_init(&fs, names, cmp, 4) == 0, "a model");
	crm_fs_train(&fs, &p, &rule, 1, 1000, 1e-6);
	TAP_OK(crm_fs_prob(&fs, 0, p.lev) > 0.9, "agreeing: a match");
	TAP_OK(crm_fs_prob(&fs, 0, p.lev + 3 * 4) < 0.1, "disagreeing: not");
	TAP_OK(crm_fs_weight(&fs, crm_fs_part(&fs, 0), 0, 4) == 0, "the rule's "
								   "own field "
								   "does not "
								   "count");
	TAP_OK(crm_fs_weight(&fs, crm_fs_part(&fs, 0), 1, 3) > 0 &&
		   crm_fs_weight(&fs, crm_fs_part(&fs, 0), 1, 0) < 0,
	    "agreeing weighs for, disagreeing against");
	TAP_OK(crm_fs_save(&fs, &b) == 0 &&
		   crm_fs_load(&back, b.p, b.len, &e) == 0,
	    "save and load");
	TAP_OK(NEAR(crm_fs_prob(&back, 0, p.lev), crm_fs_prob(&fs, 0, p.lev)),
	    "the same model back");
	crm_fs_release(&back);
	TAP_OK(crm_fs_load(&back, b.p, b.len - 1, &e) == -1, "a cut model is "
							     "refused");
	crm_fs_release(&fs);
	crm_patterns_release(&p);
	crm_buf_release(&b);
}

/*
 * Households: blocked by phone, and by surname and address, the related
 * persons of a household (one surname, address and landline, another
 * given name and birth date) outnumber the matches; two classes would
 * take them for matches, three must not.
 */
static void
test_fs_related(void)
{
	static const char *const names[] = { "given_name", "surname",
		"birth_date", "address", "phone" };
	static const enum crm_cmp cmp[] = { CRM_CMP_NAME, CRM_CMP_NAME,
		CRM_CMP_DATE, CRM_CMP_ADDRESS, CRM_CMP_PHONE };
	static const struct {
		int lev[5];
		size_t rule;
		uint64_t n;
	} pat[] = {
		/* by phone: matches, some moved or renamed */
		{ { 4, 4, 3, 3, 3 }, 0, 400 },
		{ { 4, 4, 3, 0, 3 }, 0, 100 },
		{ { 4, 0, 3, 3, 3 }, 0, 40 },
		{ { 2, 4, 3, 3, 3 }, 0, 40 },
		/* households on a landline, and an office's switchboard */
		{ { 0, 4, 0, 3, 3 }, 0, 300 },
		{ { 0, 0, 0, 3, 3 }, 0, 50 },
		{ { 0, 0, 0, 0, 3 }, 0, 300 },
		{ { 0, 4, 0, 0, 3 }, 0, 10 },
		/* by surname and address: no phone agrees exactly here */
		{ { 0, 4, 0, 3, 0 }, 1, 400 },
		{ { 0, 4, 1, 3, 0 }, 1, 20 },
		{ { 4, 4, 3, 3, 0 }, 1, 30 },
	};
	static const int8_t household[] = { 0, 4, 0, 3, 3 };
	static const int8_t match[] = { 4, 4, 3, 3, 3 };
	static const int8_t moved[] = { 4, 4, 3, 0, 3 };
	struct crm_fs fs, back;
	struct crm_block_rule rule[2];
	struct crm_patterns p;
	struct crm_buf b;
	struct crm_err e;
	size_t i;

	crm_patterns_init(&p, 5);
	for (i = 0; i < sizeof(pat) / sizeof(pat[0]); i++) {
		/* the index first: it may move p.count */
		long at = crm_patterns_index(&p, pat[i].lev, pat[i].rule);

		p.count[at] = pat[i].n;
	}
	crm_err_clear(&e);
	crm_buf_init(&b);
	memset(rule, 0, sizeof(rule));
	rule[0].nkeys = 1;
	rule[0].key[0].field = 4;
	rule[1].nkeys = 2;
	rule[1].key[0].field = 1;
	rule[1].key[1].field = 3;
	TAP_OK(crm_fs_init(&fs, names, cmp, 5) == 0, "a model of households");
	crm_fs_train(&fs, &p, rule, 2, 1000, 1e-6);
	TAP_OK(fs.joint && fs.all.eta > 0 && !fs.same, "fitted jointly, with a "
						       "class of related "
						       "persons");
	TAP_OK(fs.part[1].cut[4] && !fs.part[0].cut[4], "the phone's exact "
							"level is cut after "
							"the phone's rule");
	TAP_OK(crm_fs_prob(&fs, 0, household) < 0.1,
	    "a household's members are not one person: %g",
	    crm_fs_prob(&fs, 0, household));
	TAP_OK(crm_fs_prob(&fs, 0, match) > 0.9, "a match is");
	TAP_OK(crm_fs_prob(&fs, 0, moved) > 0.5, "so is one who moved: %g",
	    crm_fs_prob(&fs, 0, moved));
	TAP_OK(crm_fs_save(&fs, &b) == 0 &&
		   crm_fs_load(&back, b.p, b.len, &e) == 0,
	    "save and load");
	TAP_OK(back.joint && back.part[1].cut[4] &&
		   NEAR(crm_fs_prob(&back, 1, household),
		       crm_fs_prob(&fs, 1, household)),
	    "the same model back");
	crm_fs_release(&back);
	crm_fs_release(&fs);
	crm_patterns_release(&p);
	crm_buf_release(&b);
}

int
main(void)
{
	test_strsim();
	test_guess();
	test_linkset();
	test_intern_bounds();
	test_uf();
	test_fs();
	test_fs_related();
	return tap_done();
}
