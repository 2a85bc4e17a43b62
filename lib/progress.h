/*
 * progress: how a long computation in lib/ says how far it is without
 * writing anything itself.  The caller passes a callback (the binaries
 * wire it to the progress line of cli.h, shown only on a terminal); the
 * computation calls it as it goes with the phase it is in ("training",
 * "k-means"), what it counts ("models", "runs"), how many are
 * done and how many there are in all (0: not known).  A zero callback
 * (fn NULL) is no progress.  The callback may be called from a worker
 * thread, but never from two at once.
 */
#ifndef CRM_PROGRESS_H
#define CRM_PROGRESS_H

struct crm_progress_cb {
	void (*fn)(void *arg, const char *phase, const char *unit,
	    unsigned long long done, unsigned long long total);
	void *arg;
};

/* Tell cb (when it has a function) that done of total are done. */
static inline void
crm_progress_tell(const struct crm_progress_cb *cb, const char *phase,
    const char *unit, unsigned long long done, unsigned long long total)
{
	if (cb != 0 && cb->fn != 0)
		cb->fn(cb->arg, phase, unit, done, total);
}

#endif
