/*
 * journey: customer journeys, the owner of the store's journey_runs,
 * journey_state and journey_actions tables (crm-journey(1)).
 *
 * A journey file is a rules file (rules.h) split at the first ':', one
 * statement a line, its left side a keyword, a name and settings:
 *
 *	journey: NAME
 *	channel NAME [cap=N/DURATION]: PURPOSE
 *	stage NAME channel=C template=T [wait=DURATION] [retries=N]: EXPR
 *	goal NAME: EXPR
 *	exit NAME: EXPR
 *
 * EXPR is an SQL expression (rules.h) over the customer's facts: the
 * activity features (activity.h), what the store knows of the customer
 * (desk.h: its columns, extra keys, tags, churn_risk, lifetime_value)
 * and the journey's own: stage, tries, days_in_journey, days_in_stage,
 * withdrawn (the purposes of the journey's channels whose consent is
 * withdrawn, comma-separated), tags_entered and tags_left (the tags
 * whose span in tag_history, tags.h, began or ended since the journey's
 * previous run: a trigger on a change of segment).  A DURATION is as
 * crm-route's (route.h: 90s, 30m, 4h, 2d), not zero.
 *
 * A run at the reference time (clock.h) takes every customer (person,
 * per person) once: a customer outside the journey enters it when the
 * first stage's condition holds and no goal or exit does; a customer in
 * it leaves converted when a goal holds, exited when an exit does; else,
 * when its wait is over, its stage's action is sent when the stage's
 * condition holds (again, up to retries more times, after each wait),
 * else the next stage is taken at once; after the last, it is done.  An
 * action over its channel's cap (actions on the channel, of every
 * journey, in the cap's window) waits for a later run; one whose
 * channel's purpose is withdrawn is not sent and its stage is passed.
 * Each action is one row of journey_actions, unique by journey,
 * customer, stage and try, so that a run again at the same time sends
 * nothing again; every decision is audited (audit.h).
 *
 * Ownership: a struct crm_journey_def owns its strings; a struct
 * crm_journey borrows the store and the definition, which must outlive
 * it.
 */
#ifndef CRM_JOURNEY_H
#define CRM_JOURNEY_H

#include <stddef.h>

#include "clusters.h"
#include "erase.h"
#include "err.h"
#include "filter.h"
#include "store.h"

/* ==== The journey file ==== */

struct crm_journey_channel {
	char *name, *purpose;
	long cap;	 /* actions at most in the window; 0: no cap */
	long cap_window; /* seconds */
	char *cap_text;	 /* as written, N/DURATION; NULL: no cap */
};

struct crm_journey_stage {
	char *name, *template, *cond;
	size_t channel; /* index into the channels */
	long wait;	/* seconds */
	long retries;
	unsigned long line;
};

struct crm_journey_exit {
	char *name, *cond;
	int goal; /* a goal: converted, not exited */
	unsigned long line;
};

struct crm_journey_def {
	const char *path; /* borrowed */
	char *name;
	struct crm_journey_channel *channel;
	size_t nchannels;
	struct crm_journey_stage *stage;
	size_t nstages;
	struct crm_journey_exit *exit;
	size_t nexits;
};

/* The most retries a stage may give. */
#define CRM_JOURNEY_MAX_RETRIES 100

/*
 * Read the journey file at path into d (initialized here).  0, or -1 with
 * e filled: as crm_rulefile_read, and EX_DATAERR with e->file and e->line
 * for a statement this module does not take (an unknown keyword, a bad
 * name, setting, duration or cap, a stage's channel no channel line
 * declares, a name given twice), or a file without a journey line or a
 * stage.  d holds nothing to free after a failure.  The expressions are
 * compiled by crm_journey_open, not here.
 */
int crm_journey_read(
    struct crm_journey_def *d, const char *path, struct crm_err *e);
void crm_journey_def_release(struct crm_journey_def *d);

/* ==== A run ==== */

/* What a run did, for the summary. */
struct crm_journey_counts {
	unsigned long long entered, sent, capped, suppressed, converted, exited,
	    done;
};

struct crm_journey;

/*
 * A run of journey d on store s at the reference time, by person or
 * record (CRM_BY_AUTO: person when the store has clusters).  Refused
 * (EX_DATAERR) when the journey has run at a later time; EX_DATAERR with
 * file and line for an expression that does not compile or names a
 * fact there is none of.  NULL with e filled.
 */
struct crm_journey *crm_journey_open(struct crm_store *s,
    const struct crm_journey_def *d, enum crm_by by, struct crm_err *e);

/*
 * The customers to advance, as a record source (activity.h), and the
 * filter operations that advance each and write its actions (customer_id,
 * journey, stage, channel, template, try, reason) through the filter
 * given to crm_journey_attach.  The finish step records the run in
 * journey_runs and commits.
 */
int crm_journey_source(
    struct crm_journey *j, struct crm_source *src, struct crm_err *e);
const struct crm_filter_ops *crm_journey_ops(void);
void crm_journey_attach(struct crm_journey *j, struct crm_filter *f);

const struct crm_journey_counts *crm_journey_counts(
    const struct crm_journey *j);

/* Free j, rolling back what the finish step did not commit. */
void crm_journey_free(struct crm_journey *j);

/* How a customer's journeys are erased (erase.h). */
extern const struct crm_erase_step crm_journey_erase[];

#endif
