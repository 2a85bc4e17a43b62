/*
 * hmac: see hmac.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "hmac.h"

struct crm_hmac {
	unsigned char key[1024];
	size_t keylen;
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
};

static int
read_key(struct crm_hmac *h, const char *path, struct crm_err *e)
{
	FILE *fp;
	size_t n;

	if ((fp = fopen(path, "r")) == NULL)
		return crm_err_set(e, EX_NOINPUT,
		    "cannot open key file '%s': %s", path, strerror(errno));
	n = fread(h->key, 1, sizeof(h->key), fp);
	if (ferror(fp)) {
		fclose(fp);
		return crm_err_set(
		    e, EX_IOERR, "cannot read key file '%s'", path);
	}
	if (n == sizeof(h->key) && fgetc(fp) != EOF) {
		fclose(fp);
		return crm_err_set(e, EX_USAGE,
		    "key file '%s': more than %zu bytes", path, sizeof(h->key));
	}
	fclose(fp);
	if (n > 0 && h->key[n - 1] == '\n')
		n--;
	if (n > 0 && h->key[n - 1] == '\r')
		n--;
	h->keylen = n;
	return 0;
}

static int
set_key(struct crm_hmac *h, const char *key_opt, const char *key_file,
    const char *env, const char *env_name, const char *need, struct crm_err *e)
{
	OSSL_PARAM params[2];
	char digest[] = "SHA256";
	const char *from;

	if (key_file != NULL) {
		if (read_key(h, key_file, e) == -1)
			return -1;
		from = key_opt;
	} else if (env != NULL && *env != '\0') {
		h->keylen = strlen(env);
		if (h->keylen > sizeof(h->key))
			return crm_err_set(e, EX_USAGE,
			    "%s: more than %zu bytes", env_name,
			    sizeof(h->key));
		memcpy(h->key, env, h->keylen);
		from = env_name;
	} else {
		return crm_err_set(e, EX_USAGE, "%s needs a key: %s FILE or %s",
		    need, key_opt, env_name);
	}
	if (h->keylen < CRM_HMAC_KEY_MIN)
		return crm_err_set(e, EX_USAGE,
		    "the key from %s is %zu bytes: want %d or more", from,
		    h->keylen, CRM_HMAC_KEY_MIN);
	params[0] =
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((h->mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (h->ctx = EVP_MAC_CTX_new(h->mac)) == NULL ||
	    !EVP_MAC_init(h->ctx, h->key, h->keylen, params))
		return crm_err_set(
		    e, EX_SOFTWARE, "libcrypto: no HMAC-SHA-256");
	return 0;
}

struct crm_hmac *
crm_hmac_new(const char *key_file, const char *env, const char *env_name,
    const char *need, struct crm_err *e)
{
	return crm_hmac_new_opt(NULL, key_file, env, env_name, need, e);
}

struct crm_hmac *
crm_hmac_new_opt(const char *key_opt, const char *key_file, const char *env,
    const char *env_name, const char *need, struct crm_err *e)
{
	struct crm_hmac *h;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	if (set_key(h, key_opt != NULL ? key_opt : "--key-file", key_file, env,
		env_name, need, e) == -1) {
		crm_hmac_free(h);
		return NULL;
	}
	return h;
}

void
crm_hmac_free(struct crm_hmac *h)
{
	if (h == NULL)
		return;
	OPENSSL_cleanse(h->key, sizeof(h->key));
	EVP_MAC_CTX_free(h->ctx);
	EVP_MAC_free(h->mac);
	free(h);
}

int
crm_hmac(struct crm_hmac *h, const void *a, size_t alen, const void *b,
    size_t blen, unsigned char out[CRM_HMAC_LEN])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t n;

	if (!EVP_MAC_init(h->ctx, NULL, 0, NULL) ||
	    !EVP_MAC_update(h->ctx, a, alen) ||
	    (b != NULL && !EVP_MAC_update(h->ctx, b, blen)) ||
	    !EVP_MAC_final(h->ctx, mac, &n, sizeof(mac)) || n < CRM_HMAC_LEN)
		return -1;
	memcpy(out, mac, CRM_HMAC_LEN);
	return 0;
}
