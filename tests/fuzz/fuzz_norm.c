/*
 * fuzz_norm: the normalizers of lib/norm.h.  The first byte picks the
 * normalizer (and the phone region or date order), the rest is the value.
 * Only valid UTF-8 is normalized, as norm.h requires (the readers check
 * it first); every other value is checked by crm_utf8_check alone.  A
 * normalized value must be valid UTF-8 and normalize to itself.
 */
#include "fuzz.h"

#include "buf.h"
#include "norm.h"

static const char *const regions[] = { NULL, "CN", "US", "GB", "DE", "FR", "JP",
	"IN", "XX", "" };

static int
ascii(const char *s, size_t len)
{
	while (len-- > 0)
		if ((unsigned char)*s++ >= 0x80)
			return 0;
	return 1;
}

/* Run normalizer op on in; 0 or -1 as the normalizers return. */
static int
norm(int op, int arg, struct crm_buf *out, const char *in, size_t len,
    const char **why)
{
	double secs;

	switch (op) {
	case 0:
		return crm_norm_text(out, in, len, why);
	case 1:
		return crm_norm_fold(out, in, len, why);
	case 2:
		return crm_norm_email(out, in, len, why);
	case 3:
		return crm_norm_phone(out, in, len,
		    regions[arg % (sizeof(regions) / sizeof(regions[0]))], why);
	case 4:
		return crm_norm_date(
		    out, in, len, (enum crm_date_order)(arg % 3), why);
	default:
		if (crm_norm_seconds(in, len, &secs, why) == 0)
			return crm_buf_addf(out, "%.17g", secs);
		return -1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_buf out, again;
	const char *in, *why;
	size_t len, bad;
	int op, arg;

	if (size < 1)
		return 0;
	op = data[0] % 6;
	arg = data[0] / 6;
	in = (const char *)data + 1;
	len = size - 1;
	if (!crm_utf8_check(in, len, &bad)) {
		FUZZ_ASSERT(bad < len);
		return 0;
	}
	crm_buf_init(&out);
	crm_buf_init(&again);
	why = NULL;
	if (norm(op, arg, &out, in, len, &why) == 0) {
		FUZZ_ASSERT(crm_utf8_check(out.p, out.len, NULL));
		/*
		 * Normalized is a fixed point: text, keys, addresses, dates.
		 * A phone number is not (a Chinese mobile number is written
		 * without its country code), nor are seconds.  Nor is a
		 * non-ASCII e-mail address yet: lower-casing after NFKC can
		 * leave a letter and a combining mark that NFKC composes the
		 * next time ("\xc4\xb0\xcc\x81" gives "i\xcc\x81", then
		 * "\xc3\xad"); see tests/fuzz/README.
		 */
		if (op <= 1 || op == 4 || (op == 2 && ascii(out.p, out.len))) {
			why = NULL;
			FUZZ_ASSERT(norm(op, op == 4 ? CRM_DATE_STRICT : arg,
					&again, out.p, out.len, &why) == 0);
			FUZZ_ASSERT(again.len == out.len &&
				    (out.len == 0 ||
					memcmp(again.p, out.p, out.len) == 0));
		}
	} else {
		FUZZ_ASSERT(out.len == 0);
	}
	crm_buf_release(&out);
	crm_buf_release(&again);
	return 0;
}
