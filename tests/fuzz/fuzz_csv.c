/*
 * fuzz_csv: the CSV reader (lib/read.c over libcsv) and the writers.
 */
#include "fuzz_read.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_read(data, size, CRM_FMT_CSV, CRM_FMT_TSV);
}
