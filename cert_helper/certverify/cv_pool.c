/*
 * The worker pool. With "concurrency=N" on sslcrtvalidator_children Squid
 * puts a channel ID before each request, sends up to N at once, and takes
 * the answers in any order. One request can wait seconds on an OCSP
 * responder or a CRL server that does not answer; answered in turn, every
 * site queued behind it would wait as long. So each request with an ID is
 * validated by a worker thread, and its answer is written as soon as it is
 * ready. The input is still read and framed by one thread (cv_main.c).
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cause.h"
#include "certverify.h"

struct cv_job {
	struct cv_job		*next;
	struct helper_frame	 fr;	/* fr.body points into body */
	char			 body[];
};

struct cv_pool {
	const struct cv_ctx	*ctx;
	int			 fd;		/* where answers go */

	pthread_mutex_t		 lock;		/* the queue and stopping */
	pthread_cond_t		 wake;
	struct cv_job		*head;
	struct cv_job		*tail;
	int			 stopping;

	pthread_mutex_t		 out_lock;	/* writes to fd */
	int			 out_failed;

	pthread_t		*threads;
	size_t			 nthreads;	/* started */
	size_t			 size;		/* to start */
};

/* The next job, or NULL once the pool stops and the queue is empty. */
static struct cv_job *
cv_pool_take(struct cv_pool *p)
{
	struct cv_job	*j;

	pthread_mutex_lock(&p->lock);
	while (p->head == NULL && !p->stopping)
		pthread_cond_wait(&p->wake, &p->lock);
	if ((j = p->head) != NULL) {
		p->head = j->next;
		if (p->head == NULL)
			p->tail = NULL;
	}
	pthread_mutex_unlock(&p->lock);
	return j;
}

static void *
cv_pool_work(void *arg)
{
	struct cv_pool	*p = arg;
	struct cv_job	*j;
	struct cbuf	 out = { NULL, 0, 0 };

	while ((j = cv_pool_take(p)) != NULL) {
		if (cv_handle_request(p->ctx, &j->fr, time(NULL), &out) == -1)
			log_warnx("no answer for request %llu: out of memory",
			    (unsigned long long)j->fr.id);
		free(j);
		if (cv_pool_write(p, &out, p->fd) == -1)
			out.len = 0;	/* Squid is gone; main() sees it */
	}
	cbuf_free(&out);
	return NULL;
}

/*
 * A pool of n workers that validate with c (which must outlive the pool)
 * and write answers to fd. The threads start with the first request that
 * has a channel ID: a helper Squid runs without concurrency= never needs
 * them. NULL with a cause when out of memory.
 */
struct cv_pool *
cv_pool_new(const struct cv_ctx *c, size_t n, int fd, char **cause)
{
	struct cv_pool	*p;

	if ((p = calloc(1, sizeof *p)) == NULL ||
	    (p->threads = calloc(n, sizeof *p->threads)) == NULL) {
		free(p);
		cause_set(cause, "out of memory");
		return NULL;
	}
	p->ctx = c;
	p->fd = fd;
	p->size = n;
	pthread_mutex_init(&p->lock, NULL);
	pthread_mutex_init(&p->out_lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	return p;
}

/*
 * Start the workers, once. Those that started stay; -1 with a cause when
 * none did.
 */
static int
cv_pool_start(struct cv_pool *p, char **cause)
{
	int	error = 0;

	for (; p->nthreads < p->size; p->nthreads++) {
		if ((error = pthread_create(&p->threads[p->nthreads], NULL,
		    cv_pool_work, p)) != 0)
			break;
	}
	p->size = p->nthreads;		/* never tried again */
	if (error != 0)
		log_warnx("started %zu workers, not more: %s", p->nthreads,
		    strerror(error));
	if (p->nthreads == 0) {
		cause_set(cause, "no worker thread could be started");
		return -1;
	}
	return 0;
}

/*
 * Queue a copy of fr (its body included) for a worker, starting the
 * workers first if this is the first. 0, or -1 with a cause.
 */
int
cv_pool_submit(struct cv_pool *p, const struct helper_frame *fr,
    char **cause)
{
	struct cv_job	*j;

	if (p->nthreads == 0 && cv_pool_start(p, cause) == -1)
		return -1;
	if ((j = malloc(sizeof *j + fr->body_len + 1)) == NULL) {
		cause_set(cause, "out of memory");
		return -1;
	}
	memcpy(&j->fr, fr, sizeof j->fr);
	memcpy(j->body, fr->body, fr->body_len);
	j->body[fr->body_len] = '\0';
	j->fr.body = j->body;
	j->next = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->tail != NULL)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/*
 * Write all of b to fd, one writer at a time. -1 when fd failed, now or
 * for a worker before.
 */
int
cv_pool_write(struct cv_pool *p, struct cbuf *b, int fd)
{
	int	rv;

	pthread_mutex_lock(&p->out_lock);
	if ((rv = p->out_failed ? -1 : cbuf_write(b, fd)) == -1)
		p->out_failed = 1;
	pthread_mutex_unlock(&p->out_lock);
	return rv;
}

/* Let the workers finish what is queued, then stop them. */
void
cv_pool_free(struct cv_pool *p)
{
	size_t	i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->out_lock);
	pthread_mutex_destroy(&p->lock);
	free(p->threads);
	free(p);
}
