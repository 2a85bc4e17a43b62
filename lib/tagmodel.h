/*
 * tagmodel: crm-tag's model, what `crm-tag fit` learns from all the
 * records and plain crm-tag applies to each record alone: the RFM
 * quintile boundaries of the three values (rfm.h), and the k-means model
 * (its fields, log(1 + value) or not, each field's mean and scale for
 * the z-scores, and the centres numbered by cluster size).  Applying it
 * reads one record's values only, so the records may be split among any
 * number of processes and each gets what one process gives it.
 *
 * The model is text, written and read strictly:
 *
 *	CRMTAG1
 *	by person|record		(optional: the store's features were
 *					 each customer's person's, or its own)
 *	rfm R F M			(optional: the three fields)
 *	r Q1 Q2 Q3 Q4			(the boundaries of each value,
 *	f Q1 Q2 Q3 Q4			 non-decreasing)
 *	m Q1 Q2 Q3 Q4
 *	kmeans K D log|linear		(optional: K clusters, D fields)
 *	field NAME MEAN SCALE		(D lines; SCALE > 0)
 *	centre X1 ... XD		(K lines, cluster 0 first)
 *	end
 *
 * one space between words and a newline after each line; at least one
 * of rfm and kmeans.  Numbers are %.17g, so they read back as the same
 * doubles; a field name has its bytes from '!' to '~' as they are,
 * except '%', and every other byte as %XX (upper-case hex).
 */
#ifndef CRM_TAGMODEL_H
#define CRM_TAGMODEL_H

#include <stddef.h>

#include "buf.h"
#include "clusters.h"
#include "err.h"

#define CRM_TAGMODEL_MAGIC "CRMTAG1"
#define CRM_TAGMODEL_MAX_K 1000 /* clusters, at most */
#define CRM_TAGMODEL_MAX_D 1000 /* k-means fields, at most */

struct crm_tagmodel {
	enum crm_by by;	      /* fit on the store's features per person or
				 per record; CRM_BY_AUTO: not said */
	int rfm;	      /* RFM boundaries follow */
	char *rfm_field[3];   /* recency, frequency, monetary */
	double bound[3][4];   /* each value's quintile boundaries */
	size_t k, d;	      /* k-means clusters (0: none), fields */
	int log;	      /* k-means on log(1 + value) */
	char **field;	      /* d */
	double *mean, *scale; /* d each: z = (v - mean) / scale */
	double *centre;	      /* k * d, cluster 0 first */
};

void crm_tagmodel_init(struct crm_tagmodel *m);
void crm_tagmodel_release(struct crm_tagmodel *m);

/* Copy the three RFM field names into m (rfm set); 0, or -1 (ENOMEM). */
int crm_tagmodel_set_rfm(struct crm_tagmodel *m, const char *const names[3]);

/*
 * Make room for k clusters of d fields named names (copied), mean,
 * scale and centre left for the caller to fill; 0, or -1 (ENOMEM, or d
 * above CRM_TAGMODEL_MAX_D).
 */
int crm_tagmodel_set_kmeans(struct crm_tagmodel *m, size_t k, size_t d,
    const char *const *names, int log);

/*
 * The RFM scores of one customer's values v (recency, frequency,
 * monetary; NAN: none) into score: 1 to 5 each, or 0, 0, 0 unless all
 * three are numbers.  Returns 1 when scored, else 0.
 */
int crm_tagmodel_rfm(
    const struct crm_tagmodel *m, const double v[3], unsigned char score[3]);

/*
 * The cluster of one point x (d values, log(1 + value) already taken
 * when m->log): the nearest centre to its z-scores, the first of equals,
 * and its Euclidean distance into *dist (m->d is at most
 * CRM_TAGMODEL_MAX_D, as crm_tagmodel_read and crm_tagmodel_set_kmeans
 * make it); -1 when a value is NaN, -2
 * when the point is too far from the model's values to measure (a
 * z-score or the distance is not a finite number).
 */
int crm_tagmodel_cluster(
    const struct crm_tagmodel *m, const double *x, double *dist);

/* Append m as text to out; 0, or -1 (ENOMEM). */
int crm_tagmodel_write(const struct crm_tagmodel *m, struct crm_buf *out);

/*
 * Read the model of len bytes p (from file, named in errors) into m,
 * which is released first.  0, or -1 with e filled: EX_DATAERR with
 * e->file and e->line for a damaged or truncated model, or a model of
 * another tool; EX_SOFTWARE when out of memory (m is then released).
 */
int crm_tagmodel_read(struct crm_tagmodel *m, const char *p, size_t len,
    const char *file, struct crm_err *e);

#endif
