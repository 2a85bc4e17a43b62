/*
 * blas: room for OpenBLAS's work buffers, checked before the calls that
 * need one.
 *
 * OpenBLAS (0.3.21 as Debian ships it) gives each thread that enters a
 * level-3 BLAS or LAPACK routine (or a large level-2 one) a work buffer
 * of 128 MiB of address space, mapped on its first such call and kept
 * for the life of the process; each of its own threads (one a core,
 * started when the library is loaded) maps one as it starts.  When a
 * mapping fails, as under a small ulimit -v or ulimit -d, its memory.c
 * retries it in a loop that never ends: the call hangs, or the exit
 * does, waiting for a thread that never finished starting.
 * crm_blas_room() reckons first whether buffers for the caller's threads
 * and OpenBLAS's own fit under the limits set (getrlimit(2) against the
 * VmSize and VmData of /proc/self/status; with no limit set, by test
 * mappings made and undone), and says so, naming the limit, when they do
 * not.  16 MiB are kept for the rest of the run.  The process-wide state
 * is the count of buffers already shown to fit (single-threaded
 * callers).
 */
#ifndef CRM_BLAS_H
#define CRM_BLAS_H

#include <stddef.h>

#include "err.h"

/* Bytes of address space one OpenBLAS work buffer takes (with its page). */
#define CRM_BLAS_BUFFER ((size_t)128 * 1024 * 1024 + 4096)

/*
 * Whether OpenBLAS can map a work buffer for each of threads threads of
 * ours that will call it at once (1 for the calling thread alone) and
 * for each of its own threads: 0 when there is room (or room was shown
 * before in this process), or -1 with e filled (EX_SOFTWARE): "WHO: no
 * room for OpenBLAS's 2 work buffers of 128 MiB (one a thread) under the
 * address-space limit of N KiB (ulimit -v)", or the data-size limit
 * (ulimit -d), or without a limit the reason mmap gave; who (borrowed,
 * may be NULL) names the caller.  The count is an upper bound: a helper
 * thread's buffer mapped already is counted again.
 */
int crm_blas_room(const char *who, int threads, struct crm_err *e);

/*
 * How many of at most threads threads of ours can each have a work
 * buffer (as crm_blas_room() counts): the largest count that fits, or 0
 * when not even one does, with e then filled as by crm_blas_room().
 */
int crm_blas_room_for(const char *who, int threads, struct crm_err *e);

#endif
