/*
 * fuzz_tsv: the TSV reader (lib/read.c, its unescaping) and the writers.
 */
#include "fuzz_read.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_read(data, size, CRM_FMT_TSV, CRM_FMT_CSV);
}
