/*
 * Leaf keys, made ahead of time. A background thread keeps a small pool
 * full so that no request waits for key generation (an RSA key takes about
 * 100 ms). Each key is handed out once, for one certificate; the pool never
 * holds or sees the CA key.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "cause.h"
#include "certgen.h"

struct keypool {
	enum keypool_type	 type;
	EVP_PKEY		**keys;
	size_t			 cap;
	size_t			 n;
	int			 stop;
	int			 running;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cv;	/* the pool has room, or stop */
	pthread_t		 thr;
};

/* A new key of type; the caller owns it. NULL on failure. */
EVP_PKEY *
keypool_generate(enum keypool_type type)
{
	EVP_PKEY	*k;

	switch (type) {
	case KEYPOOL_RSA_2048:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		break;
	case KEYPOOL_RSA_3072:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
		break;
	default:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	}
	if (k == NULL)
		ERR_clear_error();
	return k;
}

/* The filler thread: generate until the pool is full, then wait. */
static void *
keypool_main(void *arg)
{
	struct keypool	*kp = arg;
	EVP_PKEY	*k;

	pthread_mutex_lock(&kp->mtx);
	while (!kp->stop) {
		if (kp->n == kp->cap) {
			pthread_cond_wait(&kp->cv, &kp->mtx);
			continue;
		}
		pthread_mutex_unlock(&kp->mtx);
		k = keypool_generate(kp->type);
		pthread_mutex_lock(&kp->mtx);
		if (k == NULL)
			break;
		if (kp->n < kp->cap && !kp->stop)
			kp->keys[kp->n++] = k;
		else
			EVP_PKEY_free(k);
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
 * A fresh key for one certificate; the caller owns it. Taken from the pool
 * when it has one, generated here otherwise. NULL with a cause.
 */
EVP_PKEY *
keypool_take(struct keypool *kp, char **cause)
{
	EVP_PKEY	*k = NULL;

	pthread_mutex_lock(&kp->mtx);
	if (kp->n > 0)
		k = kp->keys[--kp->n];
	pthread_cond_signal(&kp->cv);
	pthread_mutex_unlock(&kp->mtx);
	if (k == NULL && (k = keypool_generate(kp->type)) == NULL)
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
		EVP_PKEY_free(kp->keys[i]);
	pthread_mutex_destroy(&kp->mtx);
	pthread_cond_destroy(&kp->cv);
	free(kp->keys);
	free(kp);
}
