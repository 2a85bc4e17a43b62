/*
 * fuzz_jsonl: the JSONL reader (lib/read.c framing, lib/json.c objects)
 * and the writers.
 */
#include "fuzz_read.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_read(data, size, CRM_FMT_JSONL, CRM_FMT_CSV);
}
