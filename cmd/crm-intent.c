/*
 * crm-intent: classify customer messages (intent, sentiment, or any text
 * model trained here), train and evaluate the models, and take human
 * corrections.  The pipeline is lib/intent; this is its options and
 * wiring.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "armmodel.h"
#include "buf.h"
#include "cli.h"
#include "filter.h"
#include "intent.h"
#include "mask.h"
#include "opt.h"
#include "rec.h"
#include "store.h"

static const char synopsis[] =
    "usage: crm-intent [--db FILE] [--explain N] [--output-field NAME]\n"
    "                  [--min-confidence P] [--model NAME] [--model-file "
    "FILE]\n"
    "                  [--keep-text [--policy FILE [--role NAME]\n"
    "                  [--key-file FILE]] [--time-field FIELD]] [--top K]\n"
    "                  [--experiment NAME --arm-model ARM=FILE|VERSION ...\n"
    "                  [--arms NAME=W,... [--holdout SHARE]]\n"
    "                  [--experiment-key FILE]]\n"
    "                  [--entities [--entity-patterns FILE]\n"
    "                  [--products FILE] [--tz ZONE]]\n"
    "                  [common options] [file ...]\n"
    "       crm-intent train [--bits N] [--cost C] [--min-df N]\n"
    "                  [--oos-loss D] [--seed N] [--threads N]\n"
    "                  [--unknown-share S] [--with-labels]\n"
    "                  [common options] [file ...]\n"
    "       crm-intent eval [--json] [--min-confidence P]\n"
    "                  [--experiment NAME ...] [common options] [file ...]\n"
    "       crm-intent label --db FILE [--source NAME] [common options]\n"
    "                  [file ...]\n";

struct opts {
	struct crm_common c;
	struct crm_intent_opts io;
	struct crm_mask_opts mask; /* --keep-text's policy */
	long bits, min_df, seed;   /* io.tp's, as crm_getopt stores a long */
	long threads;		   /* io.tp's; 0 the processors */
	int json;
	struct crm_armmodel_opts ao; /* --experiment */
	const char **specs;	     /* --arm-model */
	int entities;
	struct crm_entity_opts eo; /* --entities */
};

/* Set by crm_getopt() from the table, the typed entries directly. */
static struct opts o;

enum {
	OPT_COST = CRM_OPT_OWN,
	OPT_MIN_CONF,
	OPT_ARM_MODEL,
	OPT_HOLDOUT,
	OPT_OOS_LOSS,
	OPT_UNKNOWN_SHARE
};

static const struct crm_optdef options[] = {
	CRM_OPT("arm-model", OPT_ARM_MODEL, "ARM=FILE|VERSION",
	    "--experiment: classify ARM's records with the\nmodel in FILE, or "
	    "(--db) VERSION of the model\n(repeatable)"),
	CRM_OPT_STR("arms", "NAME=W,...",
	    "--experiment: its arms and weights, as\ncrm-experiment's (--db: "
	    "the stored ones)",
	    &o.ao.arms),
	CRM_OPT_LONG(
	    "bits", "N", "train: 2^N feature hashes (22)", &o.bits, 12, 24),
	CRM_OPT("cost", OPT_COST, "C", "train: the SVM's cost C (1)"),
	CRM_OPT_STR("customer-field", "FIELD",
	    "the customer a decision is about, in the audit\nlog "
	    "(customer_id)",
	    &o.io.customer_field),
	CRM_OPT("db", CRM_OPT_DB, "FILE",
	    "the store: models, decisions and labels\n(default: $CRM_DB)"),
	CRM_OPT_FLAG("entities", 0,
	    "append the entities of the text as JSON: order\nnumbers, phones, "
	    "e-mails, amounts, dates,\nproducts",
	    &o.entities),
	CRM_OPT_STR("entity-patterns", "FILE",
	    "--entities: order numbers (NAME<TAB>REGEX\nlines) in place of "
	    "the built-in ones",
	    &o.eo.patterns),
	CRM_OPT_STR("experiment", "NAME",
	    "classify (eval) each record by the model of\nits customer's arm "
	    "of experiment NAME",
	    &o.ao.experiment),
	CRM_OPT_STR("experiment-key", "FILE",
	    "--experiment: the hash's key\n($CRM_EXPERIMENT_KEY)",
	    &o.ao.key_file),
	CRM_OPT_LONG("explain", "N", "append the N features that weighed most",
	    &o.io.explain, 1, 100),
	CRM_OPT_STR("field", "NAME", NULL, &o.io.field), /* its old name */
	CRM_OPT("holdout", OPT_HOLDOUT, "SHARE",
	    "--experiment: the share kept out, arm holdout\n(0)"),
	CRM_OPT_STR("id-field", "FIELD",
	    "record key for the audit log and labels (id)", &o.io.id_field),
	CRM_OPT_FLAG("json", 0, "eval: print the metrics as JSON", &o.json),
	CRM_OPT_FLAG("keep-text", 0,
	    "with --db, keep each message as an event of its\ncustomer "
	    "(type message, key the --id-field)",
	    &o.io.keep_text),
	CRM_OPT_STR("key-file", "FILE", "--policy's key ($CRM_MASK_KEY)",
	    &o.mask.key_file),
	CRM_OPT_STR("label-field", "FIELD",
	    "train, eval, label: the label (the model's\nname)",
	    &o.io.label_field),
	CRM_OPT_LONG("max-text", "N",
	    "reject texts longer than N bytes (100000)", &o.io.max_text, 1,
	    1L << 30),
	CRM_OPT("min-confidence", OPT_MIN_CONF, "P|auto",
	    "label as out_of_scope when the best score is\nbelow P (auto: the "
	    "model's threshold)"),
	CRM_OPT_LONG("min-df", "N",
	    "train: drop features seen in fewer than N texts\n(1)", &o.min_df,
	    1, 1000000),
	CRM_OPT_STR("model", "NAME",
	    "the model (intent); intent and sentiment are\nbuilt in",
	    &o.io.model),
	CRM_OPT_STR("model-file", "FILE",
	    "read (write, to train) the model from FILE", &o.io.model_file),
	CRM_OPT_LONG("model-version", "N",
	    "use version N of the model in the store", &o.io.model_version, 1,
	    1L << 40),
	CRM_OPT("oos-loss", OPT_OOS_LOSS, "D",
	    "train: the held-out accuracy the auto threshold\nmay cost "
	    "(0.015)"),
	CRM_OPT_STR("policy", "FILE",
	    "--keep-text: the text as crm-mask's policy makes\nit (else as "
	    "it is)",
	    &o.mask.policy),
	CRM_OPT_STR("products", "FILE", "--entities: product names, one a line",
	    &o.eo.products),
	CRM_OPT_STR("role", "NAME",
	    "the --policy's [NAME] section (the part before\nany section)",
	    &o.mask.role),
	CRM_OPT_LONG("seed", "N", "train: seed of the solver's order (1)",
	    &o.seed, 0, 4294967295L),
	CRM_OPT_STR("source", "NAME", "label: who gave the labels (human)",
	    &o.io.source),
	CRM_OPT_STR("output-field", "NAME",
	    "name of the appended field (the model's name)", &o.io.field),
	CRM_OPT_STR("text-field", "FIELD", "the text to classify (text)",
	    &o.io.text_field),
	CRM_OPT_LONG("threads", "N",
	    "train: solve on N processes (the processors;\nmore than 4 do not "
	    "help); the model is the same",
	    &o.threads, 1, 256),
	CRM_OPT_STR("time-field", "FIELD",
	    "--keep-text, --entities: the message's time\n(time; none: now)",
	    &o.io.time_field),
	CRM_OPT_LONG("top", "K", "append the K best labels with scores as JSON",
	    &o.io.top, 1, 1000),
	CRM_OPT_STR("tz", "ZONE",
	    "--entities: the time zone of relative dates\n(UTC)", &o.eo.tz),
	CRM_OPT("unknown-share", OPT_UNKNOWN_SHARE, "S",
	    "train: the share of unknown intents the\nscores assume (0.25)"),
	CRM_OPT_FLAG("with-labels", 0,
	    "train: add the store's human labels, which\nwin over the "
	    "input's for the same text",
	    &o.io.with_labels),
	CRM_OPTDEF_END,
};

static const struct crm_cmd cmd = {
	synopsis,
	"Classify the text of each record and append the label and its "
	"score;\ntrain, evaluate, or add human labels with the verbs.  "
	"With\n--output-format, eval writes its figures as one record.\n",
	"Exit status: 0 every record done, 64 usage, 65 some records "
	"rejected,\n"
	"a bad model or a bad --policy, 66 nothing done from some input (not\n"
	"opened, header refused, every record rejected), no such model, or a\n"
	"--policy or --key-file that cannot be opened, 69 store schema too\n"
	"new, 70 internal error, 73 cannot create output, 74 I/O error, 75 "
	"store\n"
	"busy.  See crm-intent(1).\n",
	options,
	CRM_OPTS_FILTER | CRM_OPTS_STORE,
};

/* in the order of enum crm_intent_verb, after predict */
static const char *const verbs[] = { "train", "eval", "label", NULL };

/* One run: the pipeline, and whether the summary is out. */
struct run {
	struct crm_intent *it;
	int summarized;
	struct crm_progress prog; /* of the training */
};

/*
 * The built-in models, trained by make from testdata/intent and linked
 * in (cmd/crm-intent-models.S); the first build of crm-intent, which
 * trains them, has none: the symbols are weak.
 */
extern const unsigned char crm_builtin_intent[] __attribute__((weak));
extern const unsigned char crm_builtin_intent_end[] __attribute__((weak));
extern const unsigned char crm_builtin_sentiment[] __attribute__((weak));
extern const unsigned char crm_builtin_sentiment_end[] __attribute__((weak));

static void
builtin(struct crm_intent_opts *io)
{
	const unsigned char *b = NULL, *end = NULL;

	if (strcmp(io->model, "intent") == 0) {
		b = crm_builtin_intent;
		end = crm_builtin_intent_end;
	} else if (strcmp(io->model, "sentiment") == 0) {
		b = crm_builtin_sentiment;
		end = crm_builtin_sentiment_end;
	}
	if (b == NULL || end == NULL)
		return;
	io->builtin = b;
	io->builtin_len = (size_t)(end - b);
}

static void
warn(void *arg, const char *msg)
{
	(void)arg;
	crm_warnx("%s", msg);
}

/* --entities and its options. */
static void
entity_opts(struct crm_intent_opts *io, enum crm_intent_verb verb)
{
	if (!o.entities) {
		if (o.eo.patterns != NULL || o.eo.products != NULL ||
		    o.eo.tz != NULL)
			crm_usage_error(synopsis, "--entity-patterns, "
						  "--products and --tz are for "
						  "--entities");
		return;
	}
	if (verb != CRM_INTENT_PREDICT)
		crm_usage_error(synopsis, "--entities is for classifying");
	io->entities = &o.eo;
}

static void
parse_opts(int argc, char **argv, enum crm_intent_verb verb)
{
	struct crm_intent_opts *io = &o.io;
	const char *arg, *why;
	int k;

	crm_common_init(&o.c);
	crm_intent_opts_init(io);
	io->verb = verb;
	io->warn = warn;
	o.bits = io->tp.text.bits;
	o.min_df = io->tp.min_df;
	o.seed = (long)io->tp.seed;
	o.threads = io->tp.threads;
	while ((k = crm_getopt(&cmd, &o.c, argc, argv, &arg)) != -1) {
		switch (k) {
		case OPT_COST:
			io->tp.c = crm_opt_double(
			    synopsis, "--cost", arg, 1e-6, 1e6, "1e-6 to 1e6");
			break;
		case OPT_MIN_CONF:
			io->min_conf_auto = strcmp(arg, "auto") == 0;
			if (!io->min_conf_auto)
				io->min_conf = crm_opt_double(synopsis,
				    "--min-confidence", arg, 0, 1,
				    "0 to 1 or auto");
			break;
		case OPT_OOS_LOSS:
			io->tp.oos_loss = crm_opt_double(
			    synopsis, "--oos-loss", arg, 0, 1, "0 to 1");
			break;
		case OPT_UNKNOWN_SHARE:
			io->tp.unknown_share = crm_opt_double(synopsis,
			    "--unknown-share", arg, 0, 0.9, "0 to 0.9");
			break;
		case OPT_ARM_MODEL:
		case OPT_HOLDOUT:
			crm_cli_arm_opt(
			    synopsis, &o.ao, &o.specs, k == OPT_HOLDOUT, arg);
			break;
		}
	}
	io->tp.text.bits = (int)o.bits;
	io->tp.min_df = (int)o.min_df;
	io->tp.seed = (unsigned long)o.seed;
	io->tp.threads = (int)o.threads;
	if (*io->model == '\0')
		crm_usage_error(synopsis, "--model needs a name");
	if (verb == CRM_INTENT_TRAIN && o.c.db == NULL &&
	    io->model_file == NULL)
		crm_usage_error(synopsis, "train needs --db or --model-file to "
					  "keep the model");
	if (verb == CRM_INTENT_TRAIN)
		crm_cli_check_output(
		    synopsis, &o.c, "--model-file", io->model_file, argc, argv);
	if (verb == CRM_INTENT_LABEL && o.c.db == NULL)
		crm_usage_error(synopsis, "label needs --db");
	if (io->with_labels && (verb != CRM_INTENT_TRAIN || o.c.db == NULL))
		crm_usage_error(synopsis, "--with-labels is for train with "
					  "--db");
	if (io->model_version != 0 &&
	    (io->model_file != NULL || o.c.db == NULL))
		crm_usage_error(synopsis, "--model-version needs --db, and no "
					  "--model-file");
	if (io->keep_text && (verb != CRM_INTENT_PREDICT || o.c.db == NULL))
		crm_usage_error(synopsis, "--keep-text is for classifying "
					  "with --db");
	if (!io->keep_text &&
	    (o.mask.policy != NULL || o.mask.role != NULL ||
		o.mask.key_file != NULL ||
		(strcmp(io->time_field, "time") != 0 && !o.entities)))
		crm_usage_error(synopsis, "--policy, --role, --key-file and "
					  "--time-field are for --keep-text");
	entity_opts(io, verb);
	if (o.mask.policy == NULL &&
	    (o.mask.role != NULL || o.mask.key_file != NULL))
		crm_usage_error(synopsis, "--role and --key-file need "
					  "--policy");
	if (o.mask.policy != NULL) {
		crm_mask_opts_key_env(&o.mask);
		io->mask = &o.mask;
	}
	if (o.json && o.c.fo.out_fmt != CRM_FMT_AUTO)
		crm_usage_error(synopsis, "--json or --output-format, not "
					  "both");
	if ((why = crm_armmodel_opt_check(&o.ao)) != NULL)
		crm_usage_error(synopsis, "%s", why);
	if (o.ao.experiment != NULL) {
		if (verb != CRM_INTENT_PREDICT && verb != CRM_INTENT_EVAL)
			crm_usage_error(synopsis, "--experiment is for "
						  "classifying and eval");
		o.ao.by = CRM_BY_AUTO; /* as crm-experiment */
		o.ao.name = io->model;
		o.ao.kind = "text";
		io->arms = &o.ao;
	}
	if (verb != CRM_INTENT_PREDICT)
		o.c.fo.no_output = 1;
	builtin(io);
}

static void
summary(struct run *run, struct crm_filter *f)
{
	if (run->summarized++)
		return;
	crm_cli_summary(f);
}

/* Train once every input was read: no model of part of the data. */
static int
train(struct run *run, struct crm_filter *f, struct crm_err *e)
{
	char lines[3][256];
	const char *why;
	size_t i, n;
	int rc;

	if ((why = crm_filter_partial(f)) != NULL) {
		crm_warnx("no model saved: %s", why);
		return 0;
	}
	rc = crm_intent_finish(run->it, e);
	crm_progress_end(&run->prog);
	if (rc == -1)
		return -1;
	if (o.c.quiet)
		return 0;
	n = crm_intent_trained_lines(run->it, lines);
	for (i = 0; i < n; i++)
		crm_warnx("%s", lines[i]);
	return 0;
}

/* Eval's figures: a record with --output-format, else as text or JSON. */
static int
eval_out(struct run *run, struct crm_filter *f, struct crm_err *e)
{
	struct crm_buf b;

	if (o.c.fo.out_fmt != CRM_FMT_AUTO)
		return crm_intent_eval_records(run->it, f, e);
	crm_buf_init(&b);
	if (crm_intent_report(run->it, o.json, &b) == -1) {
		crm_buf_release(&b);
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	}
	fwrite(b.p, 1, b.len, stdout);
	crm_buf_release(&b);
	return 0;
}

/* The filter's steps, on the pipeline. */
static int
out_header(void *arg, struct crm_rec *hdr, struct crm_err *e)
{
	return crm_intent_header(((struct run *)arg)->it, hdr, e);
}

static int
record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	(void)drop;
	return crm_intent_record(((struct run *)arg)->it, r, e);
}

static void
idle(void *arg)
{
	crm_intent_idle(((struct run *)arg)->it);
}

static int
finish(void *arg, struct crm_filter *f, struct crm_err *e)
{
	struct run *run = arg;

	if (o.io.verb == CRM_INTENT_TRAIN) {
		summary(run, f); /* before train's report, as always */
		return train(run, f, e);
	}
	if (o.io.verb == CRM_INTENT_EVAL)
		return eval_out(run, f, e);
	return 0;
}

/* The fields each record must have. */
static int
needs(void *arg, struct crm_filter *f)
{
	return crm_intent_needs(((struct run *)arg)->it, f);
}

int
main(int argc, char **argv)
{
	static const struct crm_filter_ops ops = { NULL, out_header, record,
		idle, finish, needs };
	static const struct crm_filter_ops read_ops = { NULL, NULL, record,
		idle, finish, needs };
	struct crm_store *st;
	struct crm_filter *f;
	struct run run;
	struct crm_err e;
	int rc;

	crm_cli_init("crm-intent");
	parse_opts(argc, argv,
	    (enum crm_intent_verb)crm_cli_verb(
		&argc, argv, verbs, "classifying is the default", synopsis));
	crm_cli_operands(&cmd, 0, &argc, &argv);
	memset(&run, 0, sizeof(run));
	crm_progress_init(&run.prog);
	o.io.tp.progress = crm_progress_cb(&run.prog);
	st = crm_cli_store(&o.c);
	crm_err_clear(&e);
	if ((run.it = crm_intent_new(&o.io, st, &e)) == NULL) {
		crm_store_close(st);
		if (e.file != NULL) /* a line of --entity-patterns, ... */
			crm_cli_fail(synopsis, &e);
		crm_die(e.code, "%s", e.msg);
	}
	if ((f = crm_filter_new(&o.c.fo,
		 o.io.verb == CRM_INTENT_PREDICT ? &ops : &read_ops, &run,
		 &e)) == NULL) {
		crm_intent_free(run.it);
		crm_store_close(st);
		crm_die(e.code, "%s", e.msg);
	}
	rc = crm_filter_run(f, argc, argv);
	/* what was decided or labelled is kept, even after an error */
	rc = crm_cli_closed(rc, crm_intent_close(run.it, &e), &e);
	if (o.io.keep_text) {
		unsigned long long kept, none;

		crm_intent_kept(run.it, &kept, &none);
		crm_cli_count("messages kept", kept);
		if (none > 0)
			crm_cli_count("messages without a customer", none);
	}
	summary(&run, f);
	rc = crm_cli_end(f, rc);
	crm_intent_free(run.it);
	crm_store_close(st);
	free(o.specs);
	return rc;
}
