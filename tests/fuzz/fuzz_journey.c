/*
 * fuzz_journey: the journey file parser (crm_journey_read in
 * lib/journey.c), the input written to a temporary file since the
 * reader takes a path.  A file read must have a valid name, at least one
 * stage, every stage's channel among the channels, names of
 * CRM_RULE_NAME_CHARS given once, caps of at least one action in a
 * window of at least a second, retries within the limit and non-empty
 * conditions; a file refused must say why with a sysexits code and leave
 * nothing to free.
 */
#include "fuzz.h"

#include <sysexits.h>

#include "journey.h"
#include "rules.h"

static void
check(const struct crm_journey_def *d)
{
	size_t i, k;

	FUZZ_ASSERT(d->name != NULL && crm_rule_name_ok(d->name));
	FUZZ_ASSERT(d->nstages >= 1);
	for (i = 0; i < d->nchannels; i++) {
		const struct crm_journey_channel *c = &d->channel[i];

		FUZZ_ASSERT(crm_rule_name_ok(c->name));
		FUZZ_ASSERT(crm_rule_name_ok(c->purpose));
		FUZZ_ASSERT((c->cap == 0) == (c->cap_text == NULL));
		FUZZ_ASSERT(c->cap == 0 || c->cap_window >= 1);
		for (k = 0; k < i; k++)
			FUZZ_ASSERT(strcmp(c->name, d->channel[k].name) != 0);
	}
	for (i = 0; i < d->nstages; i++) {
		const struct crm_journey_stage *s = &d->stage[i];

		FUZZ_ASSERT(crm_rule_name_ok(s->name));
		FUZZ_ASSERT(s->channel < d->nchannels);
		FUZZ_ASSERT(*s->template != '\0' && *s->cond != '\0');
		FUZZ_ASSERT(s->wait >= 0);
		FUZZ_ASSERT(
		    s->retries >= 0 && s->retries <= CRM_JOURNEY_MAX_RETRIES);
		FUZZ_ASSERT(i == 0 || s->line > d->stage[i - 1].line);
		for (k = 0; k < i; k++)
			FUZZ_ASSERT(strcmp(s->name, d->stage[k].name) != 0);
	}
	for (i = 0; i < d->nexits; i++) {
		FUZZ_ASSERT(crm_rule_name_ok(d->exit[i].name));
		FUZZ_ASSERT(*d->exit[i].cond != '\0');
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_journey_def d;
	struct crm_err e;
	const char *path;

	if ((path = fuzz_file(data, size)) == NULL)
		return 0;
	memset(&e, 0, sizeof(e));
	if (crm_journey_read(&d, path, &e) == -1) {
		FUZZ_ASSERT(e.code == EX_DATAERR || e.code == EX_IOERR ||
			    e.code == EX_NOINPUT || e.code == EX_SOFTWARE);
		FUZZ_ASSERT(e.msg[0] != '\0');
		FUZZ_ASSERT(d.name == NULL && d.stage == NULL &&
			    d.channel == NULL && d.exit == NULL);
		return 0;
	}
	check(&d);
	crm_journey_def_release(&d);
	return 0;
}
