/*
 * Leaf keys, made ahead of time. A background thread keeps a small pool
 * full so that no request waits for key generation (an RSA key takes about
 * 100 ms). Each key is handed out once, for one certificate; the pool never
 * holds or sees the CA key.
 */
#include "config.h"

/*
 * The EC_KEY calls below are deprecated in OpenSSL 3.0 but kept there;
 * they make and encode a P-256 key three times faster than the provider
 * path (which rebuilds the curve group for every key).
 */
#define OPENSSL_API_COMPAT 10101

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cause.h"
#include "certgen.h"

struct keypool {
	enum keypool_type	 type;
	struct leafkey		**keys;
	size_t			 cap;
	size_t			 n;
	int			 stop;
	int			 running;
	/* RSA: the filler thread's, set up once */
	EVP_PKEY_CTX		*gen;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cv;	/* the pool has room, or stop */
	pthread_t		 thr;
};

/*
 * An RSA key generation context for type, set up once: setting one up (a
 * provider fetch) is not free, and the filler thread makes many keys.
 */
static EVP_PKEY_CTX *
keypool_gen_ctx(enum keypool_type type)
{
	EVP_PKEY_CTX	*ctx;

	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL)
		return NULL;
	if (EVP_PKEY_keygen_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx,
	    type == KEYPOOL_RSA_3072 ? 3072 : 2048) <= 0) {
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* A new RSA key of type (with gen when given); the caller owns it, or NULL. */
static EVP_PKEY *
keypool_generate(enum keypool_type type, EVP_PKEY_CTX *gen)
{
	EVP_PKEY_CTX	*ctx = gen != NULL ? gen : keypool_gen_ctx(type);
	EVP_PKEY	*k = NULL;

	if (ctx == NULL || EVP_PKEY_generate(ctx, &k) <= 0) {
		EVP_PKEY_free(k);
		k = NULL;
		ERR_clear_error();
	}
	if (gen == NULL)
		EVP_PKEY_CTX_free(ctx);
	return k;
}

/*
 * P-256 through the EC_KEY calls: one shared group (building a group costs
 * more than the key), and no provider export. Read-only once made, so both
 * threads use it.
 */
static EC_GROUP		*keypool_p256;
static pthread_once_t	 keypool_p256_once = PTHREAD_ONCE_INIT;

static void
keypool_p256_init(void)
{
	keypool_p256 = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
}

/*
 * The SEC1 ECPrivateKey DER of a P-256 key, which has one shape:
 * SEQUENCE { 1, OCTET STRING priv(32), [0] prime256v1,
 * [1] BIT STRING pub(65) }.
 * Written from a template because OpenSSL 3.0's writer converts the key
 * to a provider key first, which costs more than generating it.
 */
#define KEYPOOL_SEC1_LEN	121
static const unsigned char keypool_sec1_head[] = {
	0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20
};
static const unsigned char keypool_sec1_mid[] = {
	0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
	0xa1, 0x44, 0x03, 0x42, 0x00
};

static void
keypool_sec1(unsigned char *der, const unsigned char *priv,
    const unsigned char *pt)
{
	unsigned char	*p = der;

	memcpy(p, keypool_sec1_head, sizeof keypool_sec1_head);
	p += sizeof keypool_sec1_head;
	memcpy(p, priv, 32);
	p += 32;
	memcpy(p, keypool_sec1_mid, sizeof keypool_sec1_mid);
	p += sizeof keypool_sec1_mid;
	memcpy(p, pt, 65);
}

/* The SubjectPublicKeyInfo of an uncompressed P-256 point. */
static X509_PUBKEY *
keypool_ec_pubkey(const unsigned char *pt, size_t ptlen)
{
	X509_PUBKEY	*pub;
	unsigned char	*bits;

	if ((pub = X509_PUBKEY_new()) == NULL ||
	    (bits = OPENSSL_memdup(pt, ptlen)) == NULL) {
		X509_PUBKEY_free(pub);
		return NULL;
	}
	if (!X509_PUBKEY_set0_param(pub, OBJ_nid2obj(NID_X9_62_id_ecPublicKey),
	    V_ASN1_OBJECT, OBJ_nid2obj(NID_X9_62_prime256v1), bits,
	    (int)ptlen)) {
		OPENSSL_free(bits);
		X509_PUBKEY_free(pub);
		return NULL;
	}
	return pub;
}

/* PEM-encode der of label into a new malloc'd buffer in lk. 0 or -1. */
static int
keypool_set_pem(struct leafkey *lk, const char *label,
    const unsigned char *der, long len)
{
	BIO	*bio;
	BUF_MEM	*mem;
	int	 rv = -1;

	if ((bio = BIO_new(BIO_s_secmem())) == NULL)
		return -1;
	if (PEM_write_bio(bio, label, "", der, len) > 0 &&
	    BIO_get_mem_ptr(bio, &mem) > 0 &&
	    (lk->pem = malloc(mem->length)) != NULL) {
		memcpy(lk->pem, mem->data, mem->length);
		lk->pem_len = mem->length;
		rv = 0;
	}
	BIO_free(bio);
	return rv;
}

/* A fresh P-256 leaf key into lk. 0 or -1. */
static int
keypool_ec_fill(struct leafkey *lk)
{
	EC_KEY		*ec;
	unsigned char	 pt[65], priv[32], der[KEYPOOL_SEC1_LEN];
	int		 rv = -1;

	pthread_once(&keypool_p256_once, keypool_p256_init);
	if (keypool_p256 == NULL || (ec = EC_KEY_new()) == NULL)
		return -1;
	if (!EC_KEY_set_group(ec, keypool_p256) || !EC_KEY_generate_key(ec) ||
	    EC_POINT_point2oct(keypool_p256, EC_KEY_get0_public_key(ec),
	    POINT_CONVERSION_UNCOMPRESSED, pt, sizeof pt, NULL) != sizeof pt ||
	    EC_KEY_priv2oct(ec, priv, sizeof priv) != sizeof priv ||
	    (lk->key = EVP_PKEY_new()) == NULL) {
		EC_KEY_free(ec);
		goto out;
	}
	if (!EVP_PKEY_assign_EC_KEY(lk->key, ec)) {
		EC_KEY_free(ec);
		goto out;
	}
	keypool_sec1(der, priv, pt);
	if ((lk->pub = keypool_ec_pubkey(pt, sizeof pt)) != NULL &&
	    keypool_set_pem(lk, PEM_STRING_ECPRIVATEKEY, der, sizeof der) == 0)
		rv = 0;
out:
	OPENSSL_cleanse(priv, sizeof priv);
	OPENSSL_cleanse(der, sizeof der);
	return rv;
}

/* A fresh RSA leaf key into lk (with gen when given). 0 or -1. */
static int
keypool_rsa_fill(struct leafkey *lk, enum keypool_type type,
    EVP_PKEY_CTX *gen)
{
	PKCS8_PRIV_KEY_INFO	*p8;
	unsigned char		*der = NULL;
	int			 len = 0, rv = -1;

	if ((lk->key = keypool_generate(type, gen)) == NULL ||
	    (lk->pub = X509_PUBKEY_new()) == NULL ||
	    !X509_PUBKEY_set(&lk->pub, lk->key) ||
	    (p8 = EVP_PKEY2PKCS8(lk->key)) == NULL)
		return -1;
	if ((len = i2d_PKCS8_PRIV_KEY_INFO(p8, &der)) > 0 &&
	    keypool_set_pem(lk, PEM_STRING_PKCS8INF, der, len) == 0)
		rv = 0;
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (der != NULL)
		OPENSSL_clear_free(der, (size_t)len);
	return rv;
}

/*
 * A leaf key with what a certificate and a reply need from it, encoded
 * ahead of time, on the filler thread when there is one. NULL on failure.
 */
struct leafkey *
leafkey_new(enum keypool_type type, EVP_PKEY_CTX *gen)
{
	struct leafkey	*lk;
	int		 rv;

	if ((lk = calloc(1, sizeof *lk)) == NULL)
		return NULL;
	if (type == KEYPOOL_EC_P256)
		rv = keypool_ec_fill(lk);
	else
		rv = keypool_rsa_fill(lk, type, gen);
	if (rv == -1) {
		leafkey_free(lk);
		ERR_clear_error();
		return NULL;
	}
	return lk;
}

/* Free a leaf key, wiping its PEM. */
void
leafkey_free(struct leafkey *lk)
{
	if (lk == NULL)
		return;
	EVP_PKEY_free(lk->key);
	X509_PUBKEY_free(lk->pub);
	if (lk->pem != NULL)
		OPENSSL_clear_free(lk->pem, lk->pem_len);
	free(lk);
}

/* The filler thread: generate until the pool is full, then wait. */
static void *
keypool_main(void *arg)
{
	struct keypool	*kp = arg;
	struct leafkey	*k;

	pthread_mutex_lock(&kp->mtx);
	while (!kp->stop) {
		if (kp->n == kp->cap) {
			pthread_cond_wait(&kp->cv, &kp->mtx);
			continue;
		}
		pthread_mutex_unlock(&kp->mtx);
		k = leafkey_new(kp->type, kp->gen);
		pthread_mutex_lock(&kp->mtx);
		if (k == NULL)
			break;
		if (kp->n < kp->cap && !kp->stop)
			kp->keys[kp->n++] = k;
		else
			leafkey_free(k);
	}
	pthread_mutex_unlock(&kp->mtx);
	return NULL;
}

/* A pool of size keys of type, filling in the background. NULL + cause. */
struct keypool *
keypool_new(enum keypool_type type, size_t size, char **cause)
{
	struct keypool	*kp;

	if (size == 0)
		size = 1;
	if ((kp = calloc(1, sizeof *kp)) == NULL ||
	    (kp->keys = calloc(size, sizeof *kp->keys)) == NULL) {
		if (kp != NULL)
			free(kp);
		cause_set(cause, "out of memory");
		return NULL;
	}
	kp->type = type;
	kp->cap = size;
	/* P-256 keys need no context (keypool_ec_fill). */
	if (type != KEYPOOL_EC_P256 &&
	    (kp->gen = keypool_gen_ctx(type)) == NULL) {
		cause_set(cause, "cannot set up leaf key generation");
		free(kp->keys);
		free(kp);
		return NULL;
	}
	pthread_mutex_init(&kp->mtx, NULL);
	pthread_cond_init(&kp->cv, NULL);
	if (pthread_create(&kp->thr, NULL, keypool_main, kp) != 0) {
		cause_set(cause, "cannot start the key pool thread");
		keypool_free(kp);
		return NULL;
	}
	kp->running = 1;
	return kp;
}

/*
 * A fresh key for one certificate; the caller owns it (leafkey_free). Taken
 * from the pool when it has one, generated here otherwise. NULL with a cause.
 */
struct leafkey *
keypool_take(struct keypool *kp, char **cause)
{
	struct leafkey	*k = NULL;

	pthread_mutex_lock(&kp->mtx);
	if (kp->n > 0)
		k = kp->keys[--kp->n];
	pthread_cond_signal(&kp->cv);
	pthread_mutex_unlock(&kp->mtx);
	if (k == NULL && (k = leafkey_new(kp->type, NULL)) == NULL)
		cause_set(cause, "leaf key generation failed");
	return k;
}

void
keypool_free(struct keypool *kp)
{
	size_t	i;

	if (kp == NULL)
		return;
	pthread_mutex_lock(&kp->mtx);
	kp->stop = 1;
	pthread_cond_broadcast(&kp->cv);
	pthread_mutex_unlock(&kp->mtx);
	if (kp->running)
		pthread_join(kp->thr, NULL);
	for (i = 0; i < kp->n; i++)
		leafkey_free(kp->keys[i]);
	pthread_mutex_destroy(&kp->mtx);
	pthread_cond_destroy(&kp->cv);
	EVP_PKEY_CTX_free(kp->gen);
	free(kp->keys);
	free(kp);
}
