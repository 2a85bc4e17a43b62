/*
 * tabular: records of customer fields into numeric vectors for linear
 * models, learned from the training records and saved with the model.
 *
 * Every field but the id, the label and the ignored ones is a feature.  A
 * field whose every non-blank training value is a number is numeric
 * (unless told otherwise): it is standardized (z-score), a blank or
 * missing value becomes the training mean and sets a "missing" flag
 * feature, and, given 250 values or more, the value also falls into one
 * of up to 5 quantile bins, one-hot, so that a linear model can bend
 * (tenure matters most in the first months).  Any other field is categorical: one-hot over the values
 * seen in training, a blank value being a category of its own and an
 * unseen one none.  A field of words (not all numbers) whose value
 * differs on every training row, none blank, over 10 rows or more, is an
 * id, it seems: it is left out (crm_tab_is_id) unless forced categorical;
 * a numeric one (charges) stays.  Every feature has a readable name for explanations:
 * "tenure", "tenure missing", "tenure in [1, 6)", "Contract=Month-to-month".
 */
#ifndef CRM_TABULAR_H
#define CRM_TABULAR_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "rec.h"

enum crm_coltype {
	CRM_COL_AUTO,
	CRM_COL_NUMERIC,
	CRM_COL_CATEGORICAL,
	CRM_COL_IGNORE
};

struct crm_tab;

/* An empty table of training rows. */
struct crm_tab *crm_tab_new(void);
void crm_tab_free(struct crm_tab *t);

/* Force a field's type (before any row is added); 0, or -1 (ENOMEM). */
int crm_tab_set_type(struct crm_tab *t, const char *field, enum crm_coltype);

/*
 * No quantile bins (before crm_tab_fit): for trees, which split a
 * numeric feature where they need to; the bins only repeat it.  A
 * loaded encoding knows whether it has bins.
 */
void crm_tab_no_bins(struct crm_tab *t);

/*
 * Add the fields of r as a training row (fields named like the ignored
 * ones are skipped; the caller removes id and label first or ignores
 * them).  0, or -1 when out of memory.
 */
int crm_tab_add(struct crm_tab *t, const struct crm_rec *r);
size_t crm_tab_rows(const struct crm_tab *t);

/*
 * Learn the encoding from the rows added.  0, or -1 with e filled
 * (EX_DATAERR: no features).
 */
int crm_tab_fit(struct crm_tab *t, struct crm_err *e);

/* Number of features of the encoding, and the name of feature j. */
size_t crm_tab_width(const struct crm_tab *t);
const char *crm_tab_name(const struct crm_tab *t, size_t j);

/* The mean of feature j over the training rows. */
double crm_tab_mean(const struct crm_tab *t, size_t j);

/*
 * The input fields: how many, the name of field i, and its features
 * [*first, *first + *n) (none for an ignored field).
 */
size_t crm_tab_columns(const struct crm_tab *t);

/*
 * 1 when crm_tab_fit left field i out as an id (its type then is
 * CRM_COL_IGNORE), 0 otherwise, and always for a loaded encoding.
 */
int crm_tab_is_id(const struct crm_tab *t, size_t i);
const char *crm_tab_column_name(const struct crm_tab *t, size_t i);
void crm_tab_column_range(
    const struct crm_tab *t, size_t i, size_t *first, size_t *n);

/*
 * Encode training row i into x (width values).
 */
void crm_tab_row(const struct crm_tab *t, size_t i, double *x);

/*
 * Encode record r into x (width values).  With strict, a field that the
 * model needs and r lacks altogether is an error (EX_DATAERR, field
 * named): a blank value is missing data, an absent field a wrong input;
 * without, an absent field is missing data too (records of a training
 * set, which JSONL may give different fields).  A numeric field's value
 * that is not a number is an error.  Returns 0 or -1 with e filled.
 */
int crm_tab_encode(const struct crm_tab *t, const struct crm_rec *r, int strict,
    double *x, struct crm_err *e);

/* Append the fitted encoding as bytes to b; 0 or -1. */
int crm_tab_save(const struct crm_tab *t, struct crm_buf *b);

/*
 * Read an encoding saved by crm_tab_save from p (advancing *p and
 * *left); NULL with e filled when damaged.
 */
struct crm_tab *crm_tab_load(
    const unsigned char **p, size_t *left, struct crm_err *e);

#endif
