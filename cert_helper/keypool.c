/*
 * Leaf keys, made ahead of time. A background thread keeps a small pool
 * full so that no request waits for key generation (an RSA key takes about
 * 100 ms). Each key is handed out once, for one certificate; the pool never
 * holds or sees the CA key.
 */
#include "config.h"

/*
 * The EC_KEY calls below are deprecated in OpenSSL 3.0 but kept there;
 * they write a key's DER ten times faster than the 3.0 encoders.
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
	EVP_PKEY_CTX		*gen;	/* the filler thread's, set up once */
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cv;	/* the pool has room, or stop */
	pthread_t		 thr;
};

/*
 * A key generation context for type, set up once: setting one up (a
 * provider fetch) costs several times the EC key generation itself.
 */
static EVP_PKEY_CTX *
keypool_gen_ctx(enum keypool_type type)
{
	EVP_PKEY_CTX	*ctx;
	int		 ok;

	ctx = EVP_PKEY_CTX_new_from_name(NULL, type == KEYPOOL_EC_P256 ? "EC" :
	    "RSA", NULL);
	if (ctx == NULL)
		return NULL;
	ok = EVP_PKEY_keygen_init(ctx) > 0;
	if (ok && type == KEYPOOL_EC_P256)
		ok = EVP_PKEY_CTX_set_group_name(ctx, "P-256") > 0;
	else if (ok)
		ok = EVP_PKEY_CTX_set_rsa_keygen_bits(ctx,
		    type == KEYPOOL_RSA_3072 ? 3072 : 2048) > 0;
	if (!ok) {
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* A new key of type (with gen when given); the caller owns it, or NULL. */
EVP_PKEY *
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
 * The SubjectPublicKeyInfo of k. For EC keys it is assembled from the
 * encoded point, which is much cheaper than OpenSSL 3.0's key encoder.
 */
static X509_PUBKEY *
keypool_pubkey(EVP_PKEY *k)
{
	X509_PUBKEY	*pub = NULL;
	unsigned char	 pt[256], *bits;
	size_t		 ptlen;

	if (!EVP_PKEY_is_a(k, "EC") || !EVP_PKEY_get_octet_string_param(k,
	    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof pt, &ptlen)) {
		if ((pub = X509_PUBKEY_new()) != NULL &&
		    !X509_PUBKEY_set(&pub, k)) {
			X509_PUBKEY_free(pub);
			pub = NULL;
		}
		return pub;
	}
	if ((pub = X509_PUBKEY_new()) == NULL ||
	    (bits = OPENSSL_memdup(pt, ptlen)) == NULL)
		goto fail;
	if (!X509_PUBKEY_set0_param(pub, OBJ_nid2obj(NID_X9_62_id_ecPublicKey),
	    V_ASN1_OBJECT, OBJ_nid2obj(NID_X9_62_prime256v1), bits,
	    (int)ptlen)) {
		OPENSSL_free(bits);
		goto fail;
	}
	return pub;
fail:
	X509_PUBKEY_free(pub);
	return NULL;
}

/*
 * The private key PEM for the reply. EC keys are written in the SEC1 form
 * ("EC PRIVATE KEY") through the EC_KEY DER writer: OpenSSL 3.0's encoder
 * path costs more than generating the key. Squid reads either form.
 * 1 on success.
 */
static int
keypool_pem(BIO *bio, EVP_PKEY *k, enum keypool_type type)
{
	EC_KEY		*ec;
	unsigned char	*der = NULL;
	int		 len, ok;

	if (type != KEYPOOL_EC_P256)
		return PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL,
		    NULL);
	if ((ec = EVP_PKEY_get1_EC_KEY(k)) == NULL)
		return 0;
	len = i2d_ECPrivateKey(ec, &der);
	EC_KEY_free(ec);
	if (len <= 0)
		return 0;
	ok = PEM_write_bio(bio, PEM_STRING_ECPRIVATEKEY, "", der, len) > 0;
	OPENSSL_clear_free(der, (size_t)len);
	return ok;
}

/*
 * A leaf key with what a certificate and a reply need from it, encoded
 * ahead of time: OpenSSL 3.0 spends most of a mint encoding keys, and the
 * filler thread does that on the other core. NULL on failure.
 */
struct leafkey *
leafkey_new(enum keypool_type type, EVP_PKEY_CTX *gen)
{
	struct leafkey	*lk;
	BIO		*bio = NULL;
	BUF_MEM		*mem;

	if ((lk = calloc(1, sizeof *lk)) == NULL)
		return NULL;
	if ((lk->key = keypool_generate(type, gen)) == NULL ||
	    (lk->pub = keypool_pubkey(lk->key)) == NULL ||
	    (bio = BIO_new(BIO_s_secmem())) == NULL ||
	    keypool_pem(bio, lk->key, type) == 0 ||
	    BIO_get_mem_ptr(bio, &mem) <= 0 ||
	    (lk->pem = malloc(mem->length)) == NULL) {
		BIO_free(bio);
		leafkey_free(lk);
		ERR_clear_error();
		return NULL;
	}
	memcpy(lk->pem, mem->data, mem->length);
	lk->pem_len = mem->length;
	BIO_free(bio);
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
	if ((kp->gen = keypool_gen_ctx(type)) == NULL) {
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
 * A fresh key for one certificate; the caller owns it (leafkey_free). Taken from the pool
 * when it has one, generated here otherwise. NULL with a cause.
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
