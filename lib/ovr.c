/*
 * ovr: textclf's one-vs-rest SVMs on several processors.
 *
 * liblinear's dual coordinate descent visits the texts in an order drawn
 * from rand(), one state for the whole process: threads calling train()
 * at once would take their draws from it in an order that changes from
 * run to run, and so would the models.  liblinear has no per-problem
 * random state and a solver of our own would be a second SVM to trust,
 * so each binary problem (a class against the rest, on the texts of a
 * calibration fold or on all of them) is a training of its own, seeded
 * with srand(seed), solved in a forked worker process, whose rand() is
 * its own.  A problem's answer does not depend on which worker solved it
 * nor on what that worker solved before, so the model's bytes are the
 * same for any number of workers (one: no fork, the same code).
 *
 * The workers take the problems in turn through a counter in memory
 * shared with the parent, write their results there (a class's weights,
 * a fold's held-out decision values: disjoint cells) and tell the parent
 * on a pipe each problem they finish, for the progress line and to know
 * that every problem was solved.  The parent only waits.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "ovr.h"

/* The counter is shared between processes: it must not need a lock. */
#if ATOMIC_LONG_LOCK_FREE != 2
#error "atomic_ulong is not lock-free"
#endif

#define NO_BIAS -1e30f /* a class the problem lacked never wins */

struct job {
	const struct crm_ovr *o;
	struct parameter param;
	size_t nb;    /* problems a training: k, or one for two classes */
	size_t ntask; /* nb per fold, then nb on every text */
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
	/* the parent's */
	unsigned long long *done; /* problems solved, per fold */
};

static void quiet(const char *);
static int job_init(struct job *, const struct crm_ovr *);
static void job_free(struct job *);
static int solve_task(struct job *, size_t);
static void held_out(struct job *, size_t, size_t, const float *);
static void tell(struct job *, size_t, unsigned long long);
static int run_here(struct job *);
static int worker(struct job *, int);
static int run_workers(struct job *, size_t, struct crm_err *);
static int wait_workers(const pid_t *, size_t, struct crm_err *);

int
crm_ovr_solve(const struct crm_ovr *o, float *w, float *bias, double *odec,
    struct crm_err *e)
{
	struct job j;
	size_t workers, r, c, stride = o->nrow + 1;
	long cpus = o->threads;
	int rc;

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
	tell(&j, 0, 0);
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
job_init(struct job *j, const struct crm_ovr *o)
{
	size_t ndec = o->folds > 0 ? o->n * o->k : 0;

	memset(j, 0, sizeof(*j));
	j->o = o;
	j->map = MAP_FAILED;
	/* two classes are one problem, unless the background is a third */
	j->nb = o->k == 2 && !o->bg ? 1 : o->k;
	j->ntask = j->nb * (o->folds + 1);
	j->param.solver_type = L2R_L2LOSS_SVC_DUAL;
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
	    (j->done = calloc(o->folds + 1, sizeof(*j->done))) == NULL)
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
	free(j->done);
}

/*
 * Problem t: fold t / nb (the last: every text), class t % nb against
 * the rest.  With two classes the one problem decides both: the second
 * class's weights are the first's negated, as liblinear gives them.
 */
static int
solve_task(struct job *j, size_t t)
{
	const struct crm_ovr *o = j->o;
	size_t fold = t / j->nb, c = t % j->nb, i, l = 0, npos = 0, a, r;
	size_t stride = o->nrow + 1;
	struct problem prob;
	struct model *lm = NULL;
	int lab[2] = { 0, 0 }, nc = 0, li;

	for (i = 0; i < o->n; i++) {
		if (fold < o->folds && i % o->folds == fold)
			continue;
		j->sx[l] = o->x[i];
		j->sy[l] = o->y[i] == c ? 1 : -1;
		npos += o->y[i] == c;
		l++;
	}
	if (npos > 0 || j->nb == 1) {
		prob.l = (int)l;
		prob.n = (int)o->nrow + 1;
		prob.y = j->sy;
		prob.x = j->sx;
		prob.bias = 1.0;
		srand((unsigned)o->seed);
		if ((lm = train(&prob, &j->param)) == NULL)
			return -1;
		nc = get_nr_class(lm); /* 1 when a fold lacks a class */
		get_labels(lm, lab);
	}
	for (a = 0; a < (j->nb == 1 ? 2u : 1u); a++) {
		size_t cls = a == 0 ? c : 1;
		float *w = fold == o->folds ? j->col + cls * stride : j->wt;

		for (li = 0; li < nc && lab[li] != (a == 0 ? 1 : -1); li++)
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
			held_out(j, fold, cls, w);
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
	const struct crm_ovr *o = j->o;
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

/* Tell the progress callback that done problems of fold are solved. */
static void
tell(struct job *j, size_t fold, unsigned long long done)
{
	const struct crm_ovr *o = j->o;
	char phase[64];

	if (fold < o->folds)
		snprintf(phase, sizeof(phase), "calibrating fold %zu/%zu",
		    fold + 1, o->folds);
	else
		snprintf(phase, sizeof(phase), "training");
	crm_progress_tell(o->progress, phase, "labels", done, j->nb);
}

/* One worker: this process, the problems in order. */
static int
run_here(struct job *j)
{
	size_t t;

	for (t = 0; t < j->ntask; t++) {
		if (solve_task(j, t) == -1)
			return -1;
		tell(j, t / j->nb, ++j->done[t / j->nb]);
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
			tell(j, t / j->nb, ++j->done[t / j->nb]);
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
