/*
 * review: review rules over a decision and its customer's facts (see
 * review.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "activity.h"
#include "desk.h"
#include "review.h"
#include "suggest.h"

#define MAX_SRC 4 /* the caller's sources, at most */

struct crm_review {
	struct crm_rulefile file;
	struct crm_rules *rules;
	struct crm_store *st;
	struct crm_desk *desk;	  /* with a store */
	struct crm_activity *act; /* with a store and a rule on a feature */
	const char **feat;	  /* the features the rules read */
	size_t nfeat;
	struct crm_rec *cust, *fx; /* the customer's facts, features */
};

static int
nomem(struct crm_err *e)
{
	return crm_err_set(e, EX_SOFTWARE, "out of memory");
}

/* Whether name is a customer fact the store gives. */
static int
is_fact(const struct crm_review *rv, const char *name)
{
	return rv->desk != NULL &&
	       (crm_desk_customer_field(rv->desk, name) ||
		   crm_activity_find(name, strlen(name)) >= 0);
}

static int
open_facts(
    struct crm_review *rv, const char *as_of, enum crm_by by, struct crm_err *e)
{
	struct crm_activity_opts ao;
	const char *name;
	size_t i, n = crm_rules_nnames(rv->rules);

	if ((rv->desk = crm_desk_open(rv->st, by, e)) == NULL)
		return -1;
	if ((rv->cust = crm_rec_new()) == NULL ||
	    (rv->fx = crm_rec_new()) == NULL ||
	    (rv->feat = calloc(n + 1, sizeof(*rv->feat))) == NULL)
		return nomem(e);
	for (i = 0; i < n; i++) {
		name = crm_rules_name(rv->rules, i);
		/* the customers row's own field of that name comes first */
		if (!crm_desk_customer_field(rv->desk, name) &&
		    crm_activity_find(name, strlen(name)) >= 0)
			rv->feat[rv->nfeat++] = name;
	}
	if (rv->nfeat == 0)
		return 0;
	memset(&ao, 0, sizeof(ao));
	ao.as_of = as_of;
	ao.names = rv->feat;
	ao.nnames = rv->nfeat;
	ao.by = by;
	if ((rv->act = crm_activity_open(rv->st, &ao, e)) == NULL)
		return -1;
	return 0;
}

struct crm_review *
crm_review_new(const char *path, struct crm_store *s, const char *as_of,
    enum crm_by by, struct crm_err *e)
{
	struct crm_review *rv;
	struct crm_rule *r;
	size_t i;

	if ((rv = calloc(1, sizeof(*rv))) == NULL) {
		nomem(e);
		return NULL;
	}
	rv->st = s;
	if (crm_rulefile_read(&rv->file, path, ":", 0, e) == -1) {
		free(rv);
		return NULL;
	}
	if ((rv->rules = crm_rules_new(e)) == NULL)
		goto fail;
	for (i = 0; i < rv->file.n; i++) {
		r = &rv->file.rule[i];
		if (!crm_rule_name_ok(r->left)) {
			e->file = rv->file.path;
			e->line = r->line;
			crm_err_set(e, EX_DATAERR,
			    "bad review name '%s': use " CRM_RULE_NAME_CHARS,
			    r->left);
			goto fail;
		}
		if (crm_rules_add(
			rv->rules, r->right, rv->file.path, r->line, e) == -1)
			goto fail;
	}
	if (rv->file.n == 0) {
		e->file = rv->file.path;
		e->line = 0;
		crm_err_set(e, EX_DATAERR, "no review rules");
		goto fail;
	}
	if (s != NULL && open_facts(rv, as_of, by, e) == -1)
		goto fail;
	return rv;
fail:
	crm_review_free(rv);
	return NULL;
}

void
crm_review_free(struct crm_review *rv)
{
	if (rv == NULL)
		return;
	crm_rules_free(rv->rules);
	crm_rulefile_release(&rv->file);
	crm_activity_close(rv->act);
	crm_desk_close(rv->desk);
	crm_rec_free(rv->cust);
	crm_rec_free(rv->fx);
	free(rv->feat);
	free(rv);
}

const char *
crm_review_path(const struct crm_review *rv)
{
	return rv->file.path;
}

int
crm_review_check(struct crm_review *rv, const struct crm_rec *hdr,
    const char *const *own, size_t n, struct crm_err *e)
{
	struct crm_rec *all;
	const char *name, *f;
	size_t i, j, u, len;
	char hint[256];

	for (i = 0; i < crm_rules_nnames(rv->rules); i++) {
		name = crm_rules_name(rv->rules, i);
		if (crm_rec_find(hdr, name, strlen(name)) >= 0 ||
		    is_fact(rv, name))
			continue;
		for (j = 0; j < n && strcasecmp(own[j], name) != 0; j++)
			;
		if (j < n)
			continue;
		/* the hint is from every name the rule could read */
		if ((all = crm_rec_new()) == NULL)
			return nomem(e);
		for (j = 0; j < crm_rec_count(hdr); j++) {
			f = crm_rec_name(hdr, j, &len);
			if (crm_rec_add(all, f, len, "", 0, CRM_NULL) == -1)
				goto oom;
		}
		for (j = 0; j < n; j++)
			if (crm_rec_add(all, own[j], strlen(own[j]), "", 0,
				CRM_NULL) == -1)
				goto oom;
		/* the input's position is the record's: the rule's in the text */
		u = crm_rules_name_user(rv->rules, i);
		crm_err_set(e, EX_DATAERR,
		    "no field '%s', which review rule '%s' at %s:%lu reads%s%s",
		    name, rv->file.rule[u].left, crm_rules_file(rv->rules, u),
		    crm_rules_line(rv->rules, u),
		    rv->desk != NULL ? " (nor a customer fact of the store)"
				     : " (customer facts need --db)",
		    crm_suggest_field_hint(hint, sizeof(hint), name, all));
		crm_rec_free(all);
		return -1;
oom:
		crm_rec_free(all);
		return nomem(e);
	}
	return 0;
}

/*
 * Read the customer's facts when a rule reads a name none of the n
 * sources has.  0, or -1 with e filled.
 */
static int
fetch_facts(struct crm_review *rv, const struct crm_rules_src *src, size_t n,
    const char *id, size_t idlen, struct crm_err *e)
{
	const char *name;
	size_t i, j;

	crm_rec_clear(rv->cust);
	crm_rec_clear(rv->fx);
	for (i = 0; i < crm_rules_nnames(rv->rules); i++) {
		name = crm_rules_name(rv->rules, i);
		for (j = 0; j < n; j++)
			if (crm_rec_find(src[j].rec, name, strlen(name)) >= 0)
				break;
		if (j == n)
			break;
	}
	if (i == crm_rules_nnames(rv->rules) || id == NULL || idlen == 0)
		return 0;
	if (crm_desk_customer(rv->desk, id, idlen, rv->cust, e) == -1)
		return -1;
	if (rv->act != NULL &&
	    crm_activity_get(rv->act, id, idlen, rv->fx, e) == -1)
		return -1;
	return 0;
}

int
crm_review_eval(struct crm_review *rv, const struct crm_rules_src *src,
    size_t n, const char *id, size_t idlen, const char **name,
    struct crm_err *e)
{
	struct crm_rules_src all[MAX_SRC + 2];
	size_t i, k = n;
	int rc;

	*name = NULL;
	if (n > MAX_SRC)
		return crm_err_set(e, EX_SOFTWARE, "too many review sources");
	memcpy(all, src, n * sizeof(*src));
	if (rv->desk != NULL) {
		if (fetch_facts(rv, src, n, id, idlen, e) == -1)
			return CRM_RULES_LIMIT;
		all[k].rec = rv->cust;
		all[k++].untyped = 0;
		all[k].rec = rv->fx;
		all[k++].untyped = 0;
	}
	if ((rc = crm_rules_eval(rv->rules, all, k, e)) < 0)
		return rc;
	for (i = 0; i < crm_rules_count(rv->rules); i++)
		if (crm_rules_match(rv->rules, i)) {
			*name = rv->file.rule[i].left;
			return 0;
		}
	return 0;
}
