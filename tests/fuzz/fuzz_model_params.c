/*
 * fuzz_model_params: a model file's params header (crm_model_find's file
 * reader in lib/model.c), which says how the model was trained
 * (crm_model_by): "CRMPARAM", the params' length, the params (JSON text),
 * then the blob; a file without it is the bare blob.  Whatever it reads
 * is written back with crm_model_write_params and must read back the
 * same, blob and params.
 */
#include "fuzz.h"

#include "buf.h"
#include "clusters.h"
#include "err.h"
#include "model.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_buf blob, params, blob2, params2;
	const char *path = fuzz_file(data, size);
	static char again[64];
	struct crm_err e;
	enum crm_by by;
	long v;
	int fd;

	if (path == NULL)
		return 0;
	crm_buf_init(&blob);
	crm_buf_init(&params);
	crm_buf_init(&blob2);
	crm_buf_init(&params2);
	crm_err_clear(&e);
	if (crm_model_find(
		NULL, path, "m", 0, "churn", &blob, &v, &params, &e) != 1) {
		FUZZ_ASSERT(e.code != 0);
		goto out;
	}
	by = crm_model_by(params.p, params.len);
	FUZZ_ASSERT(by == CRM_BY_PERSON || by == CRM_BY_RECORD);
	FUZZ_ASSERT(crm_model_check_by("m", &params, by, &e) == 0);
	/*
	 * Params with a NUL do not go back as they came, nor does an empty
	 * header before a blob that itself begins with one (written bare, it
	 * reads as a header: no model's blob begins so).
	 */
	if ((params.len > 0 && memchr(params.p, '\0', params.len) != NULL) ||
	    (params.len == 0 && blob.len >= 8 &&
		memcmp(blob.p, "CRMPARAM", 8) == 0))
		goto out;
	if (again[0] == '\0') {
		snprintf(again, sizeof(again), "/tmp/crm-fuzz-params-XXXXXX");
		if ((fd = mkstemp(again)) == -1) {
			again[0] = '\0';
			goto out;
		}
		close(fd);
	}
	FUZZ_ASSERT(
	    crm_model_write_params(again, params.len > 0 ? params.p : NULL,
		blob.p, blob.len, &e) == 0);
	FUZZ_ASSERT(crm_model_find(NULL, again, "m", 0, "churn", &blob2, &v,
			&params2, &e) == 1);
	FUZZ_ASSERT(blob2.len == blob.len &&
		    (blob.len == 0 || memcmp(blob.p, blob2.p, blob.len) == 0));
	FUZZ_ASSERT(
	    params2.len == params.len &&
	    (params.len == 0 || memcmp(params.p, params2.p, params.len) == 0));
out:
	crm_buf_release(&blob);
	crm_buf_release(&params);
	crm_buf_release(&blob2);
	crm_buf_release(&params2);
	return 0;
}
