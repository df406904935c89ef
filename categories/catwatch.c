/*
 * A category database that sslinspect-lists replaces under its readers:
 * at most once a second a reader's catwatch_get looks at the path, and
 * when it names another file (device and inode) than the one open, opens
 * that one for every later lookup. Lookups already running keep the old
 * file, which is closed when the last of them puts it back. A file that
 * cannot be opened leaves the one open in use, and is tried again a second
 * later. Thread-safe: c-icap's worker threads share one catwatch.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "categories.h"
#include "cause.h"

struct cwnode {
	struct catdb	*db;
	unsigned	 refs;		/* lookups using it, +1 while current */
	dev_t		 dev;
	ino_t		 ino;
	struct cwnode	*next;
};

struct catwatch {
	pthread_mutex_t	 mu;
	char		*path;
	struct cwnode	*nodes;		/* the first is current if live */
	bool		 live;		/* nodes is the current file */
	time_t		 checked;
	char		*cause;		/* a new failure, not yet taken */
	char		*last;		/* the last failure, to report once */
};

struct catwatch *
catwatch_new(const char *path)
{
	struct catwatch	*w;

	if ((w = calloc(1, sizeof *w)) == NULL)
		return NULL;
	if ((w->path = strdup(path)) == NULL) {
		free(w);
		return NULL;
	}
	pthread_mutex_init(&w->mu, NULL);
	w->checked = (time_t)-1;
	return w;
}

static void
catwatch_unref(struct catwatch *w, struct cwnode *n)
{
	struct cwnode	**pp;

	if (--n->refs > 0)
		return;
	for (pp = &w->nodes; *pp != NULL; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			break;
		}
	catdb_close(n->db);
	free(n);
}

static void
catwatch_fail(struct catwatch *w, char *cause)
{
	if (cause != NULL && (w->last == NULL || strcmp(w->last, cause) != 0)) {
		free(w->last);
		w->last = strdup(cause);
		free(w->cause);
		w->cause = cause;
	} else
		free(cause);
}

/* Look at the path (w->mu held) and open what it names now if new. */
static void
catwatch_check(struct catwatch *w)
{
	struct stat	 st;
	struct cwnode	*n;
	struct catdb	*db;
	char		*cause = NULL;

	if (stat(w->path, &st) != 0) {
		cause_set(&cause, "%s: %s", w->path, strerror(errno));
		catwatch_fail(w, cause);
		return;
	}
	if (w->live && w->nodes->dev == st.st_dev && w->nodes->ino == st.st_ino)
		return;
	if ((db = catdb_open(w->path, &cause)) == NULL) {
		catwatch_fail(w, cause);
		return;
	}
	if ((n = calloc(1, sizeof *n)) == NULL) {
		catdb_close(db);
		return;
	}
	n->db = db;
	n->refs = 1;
	n->dev = st.st_dev;
	n->ino = st.st_ino;
	if (w->live)
		catwatch_unref(w, w->nodes);
	n->next = w->nodes;
	w->nodes = n;
	w->live = true;
	free(w->last);
	w->last = NULL;
}

/* The current database, or NULL when none could be opened; put it back. */
struct catdb *
catwatch_get(struct catwatch *w)
{
	struct catdb	*db = NULL;
	time_t		 now = time(NULL);

	pthread_mutex_lock(&w->mu);
	if (now != w->checked) {
		w->checked = now;
		catwatch_check(w);
	}
	if (w->live) {
		w->nodes->refs++;
		db = w->nodes->db;
	}
	pthread_mutex_unlock(&w->mu);
	return db;
}

void
catwatch_put(struct catwatch *w, struct catdb *db)
{
	struct cwnode	*n;

	if (db == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	for (n = w->nodes; n != NULL; n = n->next)
		if (n->db == db) {
			catwatch_unref(w, n);
			break;
		}
	pthread_mutex_unlock(&w->mu);
}

/*
 * A failure to open the database not reported before (each distinct one
 * once, until a file opens again), or NULL; the caller frees it.
 */
char *
catwatch_cause(struct catwatch *w)
{
	char	*c;

	pthread_mutex_lock(&w->mu);
	c = w->cause;
	w->cause = NULL;
	pthread_mutex_unlock(&w->mu);
	return c;
}

void
catwatch_free(struct catwatch *w)
{
	if (w == NULL)
		return;
	if (w->live)
		catwatch_unref(w, w->nodes);
	while (w->nodes != NULL) {
		w->nodes->refs = 1;
		catwatch_unref(w, w->nodes);
	}
	pthread_mutex_destroy(&w->mu);
	free(w->cause);
	free(w->last);
	free(w->path);
	free(w);
}
