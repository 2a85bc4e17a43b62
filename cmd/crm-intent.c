/*
 * crm-intent: classify customer messages (intent, sentiment, or any text
 * model trained here), train and evaluate the models, and take human
 * corrections.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "cli.h"
#include "filter.h"
#include "intent.h"
#include "store.h"

static const char synopsis[] =
    "usage: crm-intent [--db FILE] [--explain N] [--field NAME]\n"
    "                  [--min-confidence P] [--model NAME] [--model-file "
    "FILE]\n"
    "                  [--top K] [common options] [file ...]\n"
    "       crm-intent train [--bits N] [--cost C] [--min-df N] [--seed N]\n"
    "                  [--with-labels] [common options] [file ...]\n"
    "       crm-intent eval [--json] [--min-confidence P] [common options]\n"
    "                  [file ...]\n"
    "       crm-intent label --db FILE [--source NAME] [common options]\n"
    "                  [file ...]\n";

static const char help[] =
    "Classify the text of each record and append the label and its score;\n"
    "train, evaluate, or add human labels with the verbs.\n"
    "\n"
    "  --bits N               train: 2^N feature hashes (22)\n"
    "  --busy-timeout MS      wait this long for other writers (60000)\n"
    "  --cost C               train: the SVM's cost C (1)\n"
    "  --db FILE              the store: models, decisions and labels\n"
    "                         (default: $CRM_DB)\n"
    "  --explain N            append the N features that weighed most\n"
    "  --field NAME           name of the appended field (the model's name)\n"
    "  --id-field FIELD       record key for the audit log and labels (id)\n"
    "  --input-format FMT     csv, tsv or jsonl (default: from the first "
    "byte)\n"
    "  --json                 eval: print the metrics as JSON\n"
    "  --label-field FIELD    train, eval, label: the label (the model's "
    "name)\n"
    "  --max-errors N         stop after more than N rejected records\n"
    "  --max-text N           reject texts longer than N bytes (100000)\n"
    "  --min-confidence P     label as out_of_scope when the best score is\n"
    "                         below P\n"
    "  --min-df N             train: drop features seen in fewer than N "
    "texts (1)\n"
    "  --model NAME           the model (intent); intent and sentiment are\n"
    "                         built in\n"
    "  --model-file FILE      read (write, to train) the model from FILE\n"
    "  --model-version N      use version N of the model in the store\n"
    "  --output-format FMT    csv, tsv or jsonl (default: the input's)\n"
    "  -q, --quiet            no summary line\n"
    "  --rejects FILE         write rejected records there as CSV\n"
    "  --seed N               train: seed of the solver's order (1)\n"
    "  --source NAME          label: who gave the labels (human)\n"
    "  --text-field FIELD     the text to classify (text)\n"
    "  --top K                append the K best labels with scores as JSON\n"
    "  --with-labels          train: add the store's human labels, which\n"
    "                         win over the input's for the same text\n"
    "  -h, --help             this help\n"
    "  --version              version of crm-intent and its libraries\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 records rejected, 66 missing input or\n"
    "model, 69 store schema too new, 70 internal error, 73 cannot create\n"
    "output, 74 I/O error, 75 store busy.  See crm-intent(1).\n";

/* in the order of enum crm_intent_verb, after predict */
static const char *const verbs[] = { "train", "eval", "label", NULL };

enum {
	OPT_BITS = 256,
	OPT_COST,
	OPT_DB,
	OPT_EXPLAIN,
	OPT_FIELD,
	OPT_ID_FIELD,
	OPT_JSON,
	OPT_LABEL_FIELD,
	OPT_MAX_TEXT,
	OPT_MIN_CONF,
	OPT_MIN_DF,
	OPT_MODEL,
	OPT_MODEL_FILE,
	OPT_MODEL_VERSION,
	OPT_SEED,
	OPT_SOURCE,
	OPT_TEXT_FIELD,
	OPT_TOP,
	OPT_WITH_LABELS
};

static const struct option longopts[] = {
	{ "bits", required_argument, NULL, OPT_BITS },
	{ "cost", required_argument, NULL, OPT_COST },
	{ "db", required_argument, NULL, OPT_DB },
	{ "explain", required_argument, NULL, OPT_EXPLAIN },
	{ "field", required_argument, NULL, OPT_FIELD },
	{ "id-field", required_argument, NULL, OPT_ID_FIELD },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "label-field", required_argument, NULL, OPT_LABEL_FIELD },
	{ "max-text", required_argument, NULL, OPT_MAX_TEXT },
	{ "min-confidence", required_argument, NULL, OPT_MIN_CONF },
	{ "min-df", required_argument, NULL, OPT_MIN_DF },
	{ "model", required_argument, NULL, OPT_MODEL },
	{ "model-file", required_argument, NULL, OPT_MODEL_FILE },
	{ "model-version", required_argument, NULL, OPT_MODEL_VERSION },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "source", required_argument, NULL, OPT_SOURCE },
	{ "text-field", required_argument, NULL, OPT_TEXT_FIELD },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "with-labels", no_argument, NULL, OPT_WITH_LABELS },
	CRM_FILTER_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

struct opts {
	struct crm_intent_opts io;
	const char *db;
	long busy_ms;
	int json;
	int quiet;
	struct crm_filter_opts fo;
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

static void
parse_opts(int argc, char **argv, enum crm_intent_verb verb, struct opts *o)
{
	struct crm_intent_opts *io = &o->io;
	int c;

	memset(o, 0, sizeof(*o));
	crm_intent_opts_init(io);
	io->verb = verb;
	io->warn = warn;
	o->fo.max_errors = -1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_BITS:
			io->tp.text.bits = (int)crm_opt_long(
			    synopsis, "--bits", optarg, 12, 24);
			break;
		case OPT_COST:
			if (crm_parse_double(optarg, 1e-6, 1e6, &io->tp.c) ==
			    -1)
				crm_usage_error(synopsis,
				    "bad --cost '%s': want 1e-6 to 1e6",
				    optarg);
			break;
		case OPT_DB:
			o->db = optarg;
			break;
		case OPT_EXPLAIN:
			io->explain =
			    crm_opt_long(synopsis, "--explain", optarg, 1, 100);
			break;
		case OPT_FIELD:
			io->field = optarg;
			break;
		case OPT_ID_FIELD:
			io->id_field = optarg;
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_LABEL_FIELD:
			io->label_field = optarg;
			break;
		case OPT_MAX_TEXT:
			io->max_text = crm_opt_long(
			    synopsis, "--max-text", optarg, 1, 1L << 30);
			break;
		case OPT_MIN_CONF:
			if (crm_parse_double(optarg, 0, 1, &io->min_conf) == -1)
				crm_usage_error(synopsis,
				    "bad --min-confidence '%s': want 0 to 1",
				    optarg);
			break;
		case OPT_MIN_DF:
			io->tp.min_df = (int)crm_opt_long(
			    synopsis, "--min-df", optarg, 1, 1000000);
			break;
		case OPT_MODEL:
			io->model = optarg;
			break;
		case OPT_MODEL_FILE:
			io->model_file = optarg;
			break;
		case OPT_MODEL_VERSION:
			io->model_version = crm_opt_long(
			    synopsis, "--model-version", optarg, 1, 1L << 40);
			break;
		case OPT_SEED:
			io->tp.seed = (unsigned long)crm_opt_long(
			    synopsis, "--seed", optarg, 0, 4294967295L);
			break;
		case OPT_SOURCE:
			io->source = optarg;
			break;
		case OPT_TEXT_FIELD:
			io->text_field = optarg;
			break;
		case OPT_TOP:
			io->top =
			    crm_opt_long(synopsis, "--top", optarg, 1, 1000);
			break;
		case OPT_WITH_LABELS:
			io->with_labels = 1;
			break;
		default:
			if (!crm_filter_option(c, optarg, synopsis, help,
				&o->fo, &o->busy_ms, &o->quiet))
				crm_bad_option(synopsis, c, argv);
		}
	}
	o->db = crm_db_path(o->db);
	if (*io->model == '\0')
		crm_usage_error(synopsis, "--model needs a name");
	if (verb == CRM_INTENT_TRAIN && o->db == NULL && io->model_file == NULL)
		crm_usage_error(synopsis, "train needs --db or --model-file to "
					  "keep the model");
	if (verb == CRM_INTENT_LABEL && o->db == NULL)
		crm_usage_error(synopsis, "label needs --db");
	if (io->with_labels && (verb != CRM_INTENT_TRAIN || o->db == NULL))
		crm_usage_error(synopsis, "--with-labels is for train with "
					  "--db");
	if (io->model_version != 0 && (io->model_file != NULL || o->db == NULL))
		crm_usage_error(synopsis, "--model-version needs --db, and no "
					  "--model-file");
	if (verb != CRM_INTENT_PREDICT)
		o->fo.no_output = 1;
	builtin(io);
}

/* The filter's hooks, on the pipeline. */
static int
out_header(void *arg, struct crm_rec *hdr, struct crm_err *e)
{
	return crm_intent_header(arg, hdr, e);
}

static int
record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	(void)drop;
	return crm_intent_record(arg, r, e);
}

static void
summary(const struct opts *o, struct crm_filter *f)
{
	unsigned long long read, written, rejected;

	if (o->quiet)
		return;
	crm_filter_counts(f, &read, &written, &rejected);
	if (o->io.verb == CRM_INTENT_PREDICT)
		crm_warnx("read %llu, written %llu, rejected %llu", read,
		    written, rejected);
	else
		crm_warnx("read %llu, rejected %llu", read, rejected);
}

/* Train after the input, when it was all read: a model of part of the
 * data must not become the default. */
static int
train(const struct opts *o, struct crm_intent *it, struct crm_filter *f)
{
	unsigned long long nread, nwritten, nrejected;
	struct crm_intent_trained t;
	struct crm_err e;
	char where[64] = "";

	crm_err_clear(&e);
	crm_filter_counts(f, &nread, &nwritten, &nrejected);
	if (crm_filter_status(f) != 0 || nrejected > 0) {
		crm_warnx("no model saved: %s", nrejected > 0 ? "records were "
								"rejected"
							      : "an input "
								"could not be "
								"read");
		return 0;
	}
	if (crm_intent_finish(it, &e) == -1) {
		crm_report(&e);
		return e.code;
	}
	if (o->quiet)
		return 0;
	crm_intent_trained(it, &t);
	if (t.version > 0)
		snprintf(where, sizeof(where), " version %ld", t.version);
	crm_warnx("trained %s%s on %zu texts (%zu from human labels, %lu "
		  "without words left out), %zu classes, %zu features",
	    o->io.model, where, t.texts, t.from_labels, t.empty, t.classes,
	    t.features);
	if (t.cv_accuracy >= 0)
		crm_warnx("accuracy on held-out folds %.4f", t.cv_accuracy);
	return 0;
}

static int
eval_print(const struct opts *o, struct crm_intent *it)
{
	struct crm_buf b;

	crm_buf_init(&b);
	if (crm_intent_report(it, o->json, &b) == -1)
		crm_die(EX_SOFTWARE, "out of memory");
	fwrite(b.p, 1, b.len, stdout);
	crm_buf_release(&b);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct crm_filter_ops ops = { NULL, out_header, record,
		crm_intent_idle };
	static const struct crm_filter_ops read_ops = { NULL, NULL, record,
		crm_intent_idle };
	struct crm_store *st = NULL;
	struct crm_intent *it;
	struct crm_filter *f;
	struct opts o;
	struct crm_err e;
	int rc;

	crm_cli_init("crm-intent");
	parse_opts(argc, argv,
	    (enum crm_intent_verb)crm_cli_verb(&argc, argv, verbs), &o);
	argc -= optind;
	argv += optind;
	crm_err_clear(&e);
	if (o.db != NULL &&
	    (st = crm_store_open(o.db, (int)o.busy_ms, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	if ((it = crm_intent_new(&o.io, st, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	if ((f = crm_filter_new(&o.fo,
		 o.io.verb == CRM_INTENT_PREDICT ? &ops : &read_ops, it, &e)) ==
	    NULL)
		crm_die(e.code, "%s", e.msg);
	rc = crm_filter_run(f, argc, argv);
	/* what was decided or labelled is kept, even after an error */
	if (crm_intent_close(it, &e) == -1 && rc == 0) {
		crm_report(&e);
		rc = e.code;
	}
	summary(&o, f);
	if (rc == 0 && o.io.verb == CRM_INTENT_TRAIN)
		rc = train(&o, it, f);
	if (rc == 0 && o.io.verb == CRM_INTENT_EVAL)
		rc = eval_print(&o, it);
	rc = crm_filter_finish(f, rc);
	crm_filter_free(f);
	crm_intent_free(it);
	crm_store_close(st);
	if (crm_close_stdout() != 0 && rc == 0)
		rc = EX_IOERR;
	return rc;
}
