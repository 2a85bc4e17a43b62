/*
 * msvm: textclf's multi-class linear SVM on several processors.
 *
 * liblinear's Crammer and Singer solver fits one weight vector per class
 * together, every text pushing its own class above each other class by a
 * margin (one joint problem), where one-vs-rest fits each class against
 * the rest alone and leaves the classes' scales unrelated: on Banking77
 * the joint problem is the more accurate (0.9185 against 0.9146 at C = 1,
 * scripts/bench-intent.sh).  A background text (class k) is a class of its
 * own in the problem, so that every class learns to score it below the
 * background; the background's weights are then dropped.
 *
 * The problems are the model's (every text) and one per calibration fold
 * (the texts of the other folds).  liblinear visits the texts in an order
 * drawn from rand(), one state for the whole process: threads calling
 * train() at once would take their draws from it in an order that changes
 * from run to run, and so would the models.  liblinear has no per-problem
 * random state and a solver of our own would be a second SVM to trust, so
 * each problem is a training of its own, seeded with srand(seed), solved
 * in a forked worker process, whose rand() is its own.  A problem's answer
 * does not depend on which worker solved it nor on what that worker solved
 * before, so the model's bytes are the same for any number of workers
 * (one: no fork, the same code), and more workers than problems
 * (folds + 1) have nothing to do.
 *
 * The workers take the problems in turn through a counter in memory
 * shared with the parent, write their results there (the model's weights,
 * a fold's held-out decision values: disjoint cells) and tell the parent
 * on a pipe each problem they finish, for the progress line and to know
 * that every problem was solved.  The parent only waits.
 */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "msvm.h"

/* The counter is shared between processes: it must not need a lock. */
#if ATOMIC_LONG_LOCK_FREE != 2
#error "atomic_ulong is not lock-free"
#endif

#define NO_BIAS -1e30f /* a class the problem lacked never wins */

struct job {
	const struct crm_msvm *o;
	struct parameter param;
	size_t ntask; /* one per fold, then one on every text */
	/* shared with the workers */
	void *map;
	size_t maplen;
	atomic_ulong *next; /* the next problem to take */
	double *dec;	    /* n * k held-out decision values */
	float *col;	    /* k columns of nrow + 1: weights, the bias last */
	/* a worker's own */
	struct feature_node **sx;
	double *sy;
	float *wt; /* a fold's column */
	int *lab;  /* k + 1 labels of liblinear's model */
	/* the parent's */
	unsigned long long done; /* problems solved */
};

static void quiet(const char *);
static int job_init(struct job *, const struct crm_msvm *);
static void job_free(struct job *);
static int solve_task(struct job *, size_t);
static void held_out(struct job *, size_t, size_t, const float *);
static void tell(struct job *, unsigned long long);
static int run_here(struct job *);
static int worker(struct job *, int);
static int run_workers(struct job *, size_t, struct crm_err *);
static int wait_workers(const pid_t *, size_t, struct crm_err *);

int
crm_msvm_solve(const struct crm_msvm *o, float *w, float *bias, double *odec,
    struct crm_err *e)
{
	struct job j;
	size_t workers, r, c, stride = o->nrow + 1;
	long cpus = o->threads;
	int rc;

	/*
	 * liblinear sizes the joint problem's arrays with int products of
	 * the classes (the background's too) and the features or texts
	 */
	if (o->nrow + 2 > (size_t)INT_MAX / (o->k + 1) ||
	    o->n > (size_t)INT_MAX / (o->k + 1))
		return crm_err_set(e, EX_DATAERR,
		    "training: %zu classes by %zu features or %zu texts are "
		    "more than liblinear can hold (%d): fewer --bits or "
		    "classes",
		    o->k, o->nrow, o->n, INT_MAX);
	if (job_init(&j, o) == -1) {
		job_free(&j);
		return crm_err_set(
		    e, EX_SOFTWARE, "out of memory while training");
	}
	if (cpus <= 0)
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
	workers = cpus < 1 ? 1 : (size_t)cpus;
	if (workers > j.ntask)
		workers = j.ntask;
	set_print_string_function(quiet);
	tell(&j, 0);
	if (workers == 1) {
		if ((rc = run_here(&j)) == -1)
			crm_err_set(
			    e, EX_SOFTWARE, "out of memory while training");
	} else
		rc = run_workers(&j, workers, e);
	if (rc == 0) {
		for (c = 0; c < o->k; c++) {
			const float *cw = j.col + c * stride;

			for (r = 0; r < o->nrow; r++)
				w[r * o->k + c] = cw[r];
			bias[c] = cw[o->nrow];
		}
		if (o->folds > 0)
			memcpy(odec, j.dec, o->n * o->k * sizeof(*odec));
	}
	job_free(&j);
	return rc;
}

static void
quiet(const char *s)
{
	(void)s;
}

static int
job_init(struct job *j, const struct crm_msvm *o)
{
	size_t ndec = o->folds > 0 ? o->n * o->k : 0;

	memset(j, 0, sizeof(*j));
	j->o = o;
	j->map = MAP_FAILED;
	j->ntask = o->folds + 1;
	j->param.solver_type = MCSVM_CS;
	j->param.C = o->c;
	j->param.eps = o->eps;
#if LIBLINEAR_VERSION >= 240
	j->param.regularize_bias = 1; /* as 2.3 did; 0 would change models */
#endif
	j->param.p = 0.1;
	/* the counter on a line of its own, the doubles, then the floats */
	j->maplen =
	    64 + ndec * sizeof(double) + o->k * (o->nrow + 1) * sizeof(float);
	j->map = mmap(NULL, j->maplen, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (j->map == MAP_FAILED)
		return -1;
	j->next = j->map;
	atomic_init(j->next, 0);
	j->dec = (double *)((char *)j->map + 64);
	j->col = (float *)(j->dec + ndec);
	if ((j->sx = crm_reallocarray(NULL, o->n, sizeof(*j->sx))) == NULL ||
	    (j->sy = crm_reallocarray(NULL, o->n, sizeof(*j->sy))) == NULL ||
	    (j->wt = crm_reallocarray(NULL, o->nrow + 1, sizeof(*j->wt))) ==
		NULL ||
	    (j->lab = crm_reallocarray(NULL, o->k + 1, sizeof(*j->lab))) ==
		NULL)
		return -1;
	return 0;
}

static void
job_free(struct job *j)
{
	if (j->map != MAP_FAILED)
		munmap(j->map, j->maplen);
	free(j->sx);
	free(j->sy);
	free(j->wt);
	free(j->lab);
}

/*
 * Problem t: fold t (the last: every text), every class at once.  A
 * class the problem lacks (a fold without its texts) gets zero weights
 * and a bias that never wins (liblinear gives a problem of one class
 * zero weights).
 */
static int
solve_task(struct job *j, size_t t)
{
	const struct crm_msvm *o = j->o;
	size_t fold = t, i, l = 0, c, r;
	size_t stride = o->nrow + 1;
	struct problem prob;
	struct model *lm;
	int nc, li;

	for (i = 0; i < o->n; i++) {
		if (fold < o->folds && i % o->folds == fold)
			continue;
		j->sx[l] = o->x[i];
		j->sy[l] = (double)o->y[i];
		l++;
	}
	prob.l = (int)l;
	prob.n = (int)o->nrow + 1;
	prob.y = j->sy;
	prob.x = j->sx;
	prob.bias = 1.0;
	srand((unsigned)o->seed);
	if ((lm = train(&prob, &j->param)) == NULL)
		return -1;
	nc = get_nr_class(lm);
	get_labels(lm, j->lab);
	for (c = 0; c < o->k; c++) {
		float *w = fold == o->folds ? j->col + c * stride : j->wt;

		for (li = 0; li < nc && j->lab[li] != (int)c; li++)
			;
		if (li == nc) {
			memset(w, 0, o->nrow * sizeof(*w));
			w[o->nrow] = NO_BIAS;
		} else {
			for (r = 0; r < o->nrow; r++)
				w[r] =
				    (float)get_decfun_coef(lm, (int)r + 1, li);
			w[o->nrow] = (float)get_decfun_bias(lm, li);
		}
		if (fold < o->folds)
			held_out(j, fold, c, w);
	}
	free_and_destroy_model(&lm);
	return 0;
}

/*
 * The decision values for class cls of the texts of fold under its
 * column w, summed as textclf sums them when it predicts.
 */
static void
held_out(struct job *j, size_t fold, size_t cls, const float *w)
{
	const struct crm_msvm *o = j->o;
	const struct feature_node *f;
	size_t i;
	float acc;

	for (i = fold; i < o->n; i += o->folds) {
		acc = w[o->nrow];
		for (f = o->x[i]; f->index != -1; f++)
			if ((size_t)f->index <= o->nrow)
				acc += (float)f->value * w[f->index - 1];
		j->dec[i * o->k + cls] = acc;
	}
}

/* Tell the progress callback that done problems are solved. */
static void
tell(struct job *j, unsigned long long done)
{
	crm_progress_tell(j->o->progress, "training", "models", done, j->ntask);
}

/* One worker: this process, the problems in order. */
static int
run_here(struct job *j)
{
	size_t t;

	for (t = 0; t < j->ntask; t++) {
		if (solve_task(j, t) == -1)
			return -1;
		tell(j, ++j->done);
	}
	return 0;
}

/*
 * A forked worker: take problems until none is left, telling fd of each
 * one solved.  Its exit status: 0, or 1 when out of memory or the pipe
 * failed.
 */
static int
worker(struct job *j, int fd)
{
	size_t t;

	while ((t = atomic_fetch_add(j->next, 1)) < j->ntask)
		if (solve_task(j, t) == -1 ||
		    write(fd, &t, sizeof(t)) != sizeof(t))
			return 1;
	return 0;
}

/*
 * Fork the workers (as many as will fork, at least one, or this process
 * solves alone), count the problems they tell solved, and wait for them.
 */
static int
run_workers(struct job *j, size_t workers, struct crm_err *e)
{
	pid_t *pid;
	size_t nw, t, got = 0, have = 0;
	unsigned char buf[64 * sizeof(size_t)];
	ssize_t r;
	int fd[2], rc;

	if ((pid = calloc(workers, sizeof(*pid))) == NULL || pipe(fd) == -1) {
		free(pid);
		return crm_err_set(
		    e, EX_SOFTWARE, "out of memory while training");
	}
	for (nw = 0; nw < workers; nw++) {
		if ((pid[nw] = fork()) == -1)
			break;
		if (pid[nw] == 0) {
			close(fd[0]);
			_exit(worker(j, fd[1]));
		}
	}
	close(fd[1]);
	if (nw == 0) {
		close(fd[0]);
		free(pid);
		if (run_here(j) == -1)
			return crm_err_set(
			    e, EX_SOFTWARE, "out of memory while training");
		return 0;
	}
	/* ids of solved problems, sizeof(size_t) bytes each */
	while ((r = read(fd[0], buf + have, sizeof(buf) - have)) != 0) {
		size_t at;

		if (r == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		have += (size_t)r;
		for (at = 0; at + sizeof(t) <= have; at += sizeof(t)) {
			memcpy(&t, buf + at, sizeof(t));
			if (t >= j->ntask)
				continue;
			tell(j, ++j->done);
			got++;
		}
		memmove(buf, buf + at, have - at);
		have -= at;
	}
	close(fd[0]);
	rc = wait_workers(pid, nw, e);
	free(pid);
	if (rc == 0 && got != j->ntask)
		return crm_err_set(e, EX_SOFTWARE,
		    "training: %zu of %zu problems solved", got, j->ntask);
	return rc;
}

/*
 * Reap the n workers pid; 0 when each ended well.  One that cannot be
 * waited for (SIGCHLD ignored) is judged by the problems it told solved.
 */
static int
wait_workers(const pid_t *pid, size_t n, struct crm_err *e)
{
	size_t i;
	pid_t r;
	int st, rc = 0;

	for (i = 0; i < n; i++) {
		while ((r = waitpid(pid[i], &st, 0)) == -1 && errno == EINTR)
			;
		if (r == -1 || rc != 0 || st == 0)
			continue;
		if (WIFSIGNALED(st))
			rc = crm_err_set(e, EX_SOFTWARE,
			    "a training worker was killed by signal %d",
			    WTERMSIG(st));
		else
			rc = crm_err_set(
			    e, EX_SOFTWARE, "out of memory while training");
	}
	return rc;
}
