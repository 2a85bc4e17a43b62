/*
 * hmac: a keyed HMAC-SHA-256 (OpenSSL 3's EVP_MAC), with the key read
 * the one way crmkit reads keys: --key-file FILE (its bytes, one final
 * newline dropped), else an environment variable's value; 16 bytes at
 * least.  crm-mask's pseudonyms and crm-experiment's arms use it.  The
 * key is set once; each MAC re-initializes the context.
 */
#ifndef CRM_HMAC_H
#define CRM_HMAC_H

#include <stddef.h>

#include "err.h"

/* The shortest key taken, in bytes. */
#define CRM_HMAC_KEY_MIN 16

/* The MAC's length, in bytes. */
#define CRM_HMAC_LEN 32

struct crm_hmac;

/*
 * The key from key_file when it is not NULL, else env (the value of the
 * environment variable env_name; NULL or empty: none).  NULL with e
 * filled: EX_USAGE "NEED needs a key: --key-file FILE or ENV_NAME" when
 * there is none, for a short or long key; EX_NOINPUT when the file
 * cannot be opened, EX_IOERR when it cannot be read, EX_SOFTWARE when
 * libcrypto has no HMAC-SHA-256.
 */
struct crm_hmac *crm_hmac_new(const char *key_file, const char *env,
    const char *env_name, const char *need, struct crm_err *e);

/* The same, the messages naming key_opt (NULL: --key-file), the tool's
   option of the key file. */
struct crm_hmac *crm_hmac_new_opt(const char *key_opt, const char *key_file,
    const char *env, const char *env_name, const char *need, struct crm_err *e);
void crm_hmac_free(struct crm_hmac *h);

/*
 * The MAC of the bytes a[0..alen) followed by b[0..blen) (b may be
 * NULL) into out.  0, or -1 when libcrypto fails.
 */
int crm_hmac(struct crm_hmac *h, const void *a, size_t alen, const void *b,
    size_t blen, unsigned char out[CRM_HMAC_LEN]);

#endif
