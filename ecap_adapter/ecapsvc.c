/*
 * The eCAP front end's core (see ecapsvc.h).
 *
 * Squid's thread writes each piece of a body, as Squid's 64 KiB pipe
 * offers it, to the transaction's spool (ecx_feed), and goes on: its first
 * ECX_HEAD bytes in memory, the rest in an unlinked file in TmpDir; a
 * worker thread reads what is new in the spool and scans it (xact.c), and
 * puts the transaction on the ready queue with what it came to. Squid
 * polls the adapter once per pass of its event loop (Service::suspend and
 * resume, libecap's asynchronous API: there is no descriptor to wake it),
 * and the shim then acts on the news. The pipe is
 * always emptied at once: Squid 5.7 does not go back to reading a sender
 * whose pipe an adapter left full and emptied later (the transfer stalls:
 * bug 5352, fixed in 6.13; HttpStateData::readReply, its buffer full
 * behind the pipe, defers the read to MemObject::delayRead, which only the
 * client side's store_client::copy kicks, and when the pipe empties
 * Client::noteMoreBodySpaceAvailable's maybeReadVirginBody finds
 * do_next_read clear and reads nothing), so a worker that falls behind is
 * behind in the spool, not in Squid.
 * What bounds the spool is admission instead: while more than MaxBacklog
 * bytes of this kid's spool wait for a worker, new requests wait before
 * they go to the origin (ecapsvc_admit), and the transfers under way go
 * on; the spool stops growing once fewer transfers feed it.
 *
 * Only workers touch a transaction's xact once its body has begun, one at
 * a time (busy); Squid's thread sees a snapshot under the lock. A
 * transaction is freed when the shim has let go of it and no queue or
 * worker holds it; xact_free writes its audit record.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cause.h"
#include "conffile.h"
#include "ecapstats.h"
#include "ecapsvc.h"
#include "log.h"
#include "size.h"
#include "svc.h"

/*
 * What of a body stays in memory: most bodies end within it and never
 * touch TmpDir (no file, no system calls), and a full TmpDir fails only
 * the larger ones, as c-icap's own spool does. The buffer never moves, so
 * readers take bytes from it while Squid's thread appends past them.
 */
#define ECX_HEAD	(64 * 1024)
/* What a worker reads of the spool at a time. */
#define ECX_CHUNK	(256 * 1024)
/*
 * What a worker scans of one transaction before it tells Squid's thread
 * what it came to and takes the next in the queue: news flow while a
 * large spool is scanned, and no transfer waits for another's.
 */
#define ECX_TURN	(4 * 1024 * 1024)
/* How often transactions that wait on a clock are looked at (ms). */
#define ECX_TICK	50
/* What is sent of a spool file is freed this much at a time. */
#define ECX_PUNCH	(1024 * 1024)
#define ECX_MAXTHREADS	64
/* MaxBacklog's default: seconds of work for the workers, never idle. */
#define ECX_BACKLOG	((uint64_t)64 << 20)
/* A size in a log line: MB, or bytes below one. */
#define ECX_SIZE(n)	\
	((unsigned long long)((n) >= (1 << 20) ? (n) >> 20 : (n)))
#define ECX_UNIT(n)	((n) >= (1 << 20) ? "MB" : "bytes")
/* How often, at most, the wait for the backlog is logged (ms). */
#define ECX_WAIT_LOG	60000
#define ECX_LOGLINES	256
/* StatsInterval's default (s): a line per worker every five minutes. */
#define ECX_STATS	300
#define ECX_STATS_MAX	86400

struct ecx {
	struct xact	*x;
	struct polref	*pol;
	void		*owner;		/* the shim's transaction; NULL: gone */
	int		 refs;
	char		*head;		/* the spool's first ECX_HEAD bytes */
	int		 fd;		/* the rest; -1 until there is some */
	uint64_t	 spooled;	/* written by Squid's thread */
	uint64_t	 taken;		/* read back and scanned by workers */
	bool		 eof;		/* the body's end is spooled */
	bool		 eof_taken;	/* ... and went to the scan */
	bool		 failed;	/* the spool could not be written */
	bool		 busy;		/* a worker has it */
	bool		 queued;	/* on the run queue */
	bool		 ready;		/* on the ready queue */
	bool		 listed;	/* on the list of bodies under way */
	uint64_t	 due;		/* a look due then, with no input */
	bool		 done;		/* judged, or cut: no more work */
	struct ecx_news	 news;
	uint64_t	 punched;	/* the file freed up to here */
	struct ecx	*next_run, *next_ready;
	struct ecx	*prev_all, *next_all;
	char		*page;
	size_t		 npage;
	const char	*ctype;
};

static pthread_mutex_t	 ecx_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 ecx_cond = PTHREAD_COND_INITIALIZER;
static struct ecx	*runq, **runq_tail = &runq;
static struct ecx	*readyq, **readyq_tail = &readyq;
static struct ecx	*all;		/* with a body under way */
static unsigned		 inflight;	/* queued or with a worker */
/*
 * The engines load on a thread of their own at a kid's first transaction
 * (ecapsvc_start): Squid's thread goes on meanwhile, and requests wait.
 */
enum ecx_state { ECX_IDLE, ECX_LOADING, ECX_READY, ECX_FAILED };
static enum ecx_state	 state;
static pthread_cond_t	 state_cond = PTHREAD_COND_INITIALIZER;
static char		*load_cause;
/* loading began: options only checked from then on */
static bool		 started;
/* squid -k reconfigure: options checked only, then the policy reloaded */
static bool		 reconfiguring;
static struct svc_config scratch;
static unsigned		 nthreads = 2;
static char		 tmpdir[1024] = "/var/tmp";
static uint64_t		 last_tick;
/* Spooled bytes of live transactions no worker has scanned yet. */
static uint64_t		 backlog;
static uint64_t		 backlog_max = ECX_BACKLOG;
static bool		 waiting;	/* requests wait for the backlog */
static uint64_t		 wait_logged;
static unsigned long	 waits;
static uint64_t		 waits_total;
static uint64_t		 under_way;	/* on the list of bodies */
/* The counters' line in cache.log every so many seconds; 0: never. */
static unsigned		 stats_interval = ECX_STATS;
static uint64_t		 stats_logged;

/* Log lines from any thread, written to Squid's log on its thread. */
static struct {
	int	 level;
	char	*text;
} loglines[ECX_LOGLINES];
static size_t		 nlog;
static unsigned		 nlost;

static void	ecx_put(struct ecx *);

static uint64_t
ecapsvc_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
ecapsvc_log(int level, const char *fmt, ...)
{
	char	buf[1024];
	va_list	ap;
	size_t	n;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	pthread_mutex_lock(&ecx_mtx);
	if (nlog < ECX_LOGLINES && (loglines[nlog].text = strdup(buf)) != NULL)
		loglines[nlog++].level = level;
	else
		nlost++;
	pthread_mutex_unlock(&ecx_mtx);
}

/* common/log.c's lines (the verdict cache's, dbcache.c's) go here too. */
static void
ecapsvc_log_line(int level, const char *line)
{
	ecapsvc_log(level, "%s", line);
}

/* On Squid's thread: the lines logged since, to write with Squid's log. */
void
ecapsvc_log_drain(void (*write)(int, const char *))
{
	int		 levels[ECX_LOGLINES];
	char		*texts[ECX_LOGLINES], lost[80];
	size_t		 i, n;
	unsigned	 k;

	pthread_mutex_lock(&ecx_mtx);
	n = nlog;
	for (i = 0; i < n; i++) {
		levels[i] = loglines[i].level;
		texts[i] = loglines[i].text;
	}
	nlog = 0;
	k = nlost;
	nlost = 0;
	pthread_mutex_unlock(&ecx_mtx);
	for (i = 0; i < n; i++) {
		write(levels[i], texts[i]);
		free(texts[i]);
	}
	if (k > 0) {
		snprintf(lost, sizeof lost, "sslinspect: %u log lines lost", k);
		write(1, lost);
	}
}

/*
 * c-icap's own directives for any service, which a c-icap include names
 * after the service too (sslinspect.MaxConnections): nothing to the eCAP
 * front end, which has no ICAP connections, preview or 204.
 */
static const char *const ecapsvc_cicap_own[] = {
	"MaxConnections", "PreviewSize", "Allow204", "Allow206",
	"TransferPreview", "TransferIgnore", "TransferComplete", NULL
};

static bool
ecapsvc_cicap_own_name(const char *name)
{
	const char *const	*n;

	for (n = ecapsvc_cicap_own; *n != NULL; n++)
		if (strcasecmp(*n, name) == 0)
			return true;
	return false;
}

/* A line of the Config file (conffile_read): ours, c-icap's, or skipped. */
static int
ecapsvc_config_line(void *arg, const char *name, const char *value,
    char **cause)
{
	(void)arg;
	if (strncasecmp(name, "sslinspect.", 11) != 0 ||
	    ecapsvc_cicap_own_name(name + 11))
		return 0;
	return ecapsvc_option(name + 11, value, cause);
}

/*
 * Config=FILE: the sslinspect.* lines of a c-icap configuration file (the
 * one srv_sslinspect reads, /etc/c-icap/sslinspect.conf), so that both
 * front ends can share one. Other lines are c-icap's and are skipped.
 */
static int
ecapsvc_config_file(const char *path, char **cause)
{
	return conffile_read(path, CONFFILE_CICAP, ecapsvc_config_line, NULL,
	    cause);
}

/*
 * One option of the ecap_service line: the adapter's own (Config, TmpDir,
 * Threads, MaxBacklog, StatsInterval) or a sslinspect.* directive of
 * srv_sslinspect(5) by its name without the prefix. 0, or -1 with why in
 * cause.
 */
int
ecapsvc_option(const char *name, const char *value, char **cause)
{
	const struct svcconf_entry	*e;
	static bool			 defaults;
	char				*end;
	unsigned long			 n;
	uint64_t			 size;

	if (!defaults) {
		svcstate_defaults();
		defaults = true;
	}
	if (strcasecmp(name, "Config") == 0)
		return ecapsvc_config_file(value, cause);
	if (strcasecmp(name, "TmpDir") == 0) {
		if (*value != '/' || strlen(value) >= sizeof tmpdir) {
			cause_set(cause, "TmpDir: not an absolute path: %s",
			    value);
			return -1;
		}
		if (!reconfiguring)
			snprintf(tmpdir, sizeof tmpdir, "%s", value);
		return 0;
	}
	if (strcasecmp(name, "Threads") == 0) {
		errno = 0;
		n = strtoul(value, &end, 10);
		if (errno != 0 || *end != '\0' || n < 1 || n > ECX_MAXTHREADS) {
			cause_set(cause, "Threads: not a number from 1 to %d: "
			    "%s", ECX_MAXTHREADS, value);
			return -1;
		}
		if (!reconfiguring)
			nthreads = (unsigned)n;
		return 0;
	}
	if (strcasecmp(name, "StatsInterval") == 0) {
		errno = 0;
		n = strtoul(value, &end, 10);
		if (errno != 0 || *end != '\0' || *value == '\0' ||
		    n > ECX_STATS_MAX) {
			cause_set(cause, "StatsInterval: not a number of "
			    "seconds from 0 (never) to %d: %s", ECX_STATS_MAX,
			    value);
			return -1;
		}
		stats_interval = (unsigned)n;
		return 0;
	}
	if (strcasecmp(name, "MaxBacklog") == 0) {
		if (size_parse(value, &size) != 0) {
			cause_set(cause, "MaxBacklog: not a size (64M, 1G; 0 "
			    "for no limit): %s", value);
			return -1;
		}
		backlog_max = size;
		return 0;
	}
	if ((e = svcconf_find(name)) == NULL) {
		cause_set(cause, "unknown option %s (not a directive of "
		    "srv_sslinspect(5), nor Config, TmpDir, Threads, "
		    "MaxBacklog or StatsInterval)", name);
		return -1;
	}
	return svcconf_set(reconfiguring ? &scratch : svcstate_config(), e,
	    value, cause);
}

/*
 * Squid configures the adapter again on every reconfigure (Service::
 * configure, for each of its ecap_service lines). Once started, the
 * workers read the configuration while they scan: options are then only
 * checked, and the policy, signatures and hash list are read again, as
 * sslinspect:reload does for c-icap. Other changes wait for a restart.
 */
void
ecapsvc_configure_begin(void)
{
	if (!started)
		return;
	/* not while the loader reads the configuration */
	(void)ecapsvc_start(true, NULL);
	svcconf_free(&scratch);
	svcconf_defaults(&scratch);
	reconfiguring = true;
}

void
ecapsvc_configure_end(void)
{
	if (!reconfiguring)
		return;
	reconfiguring = false;
	svcconf_free(&scratch);
	if (state != ECX_READY)
		return;
	svcstate_reload();
	ecapsvc_log(2, "sslinspect: reconfigured: policy and signatures read "
	    "again; other option changes take effect when Squid restarts");
}

/*
 * Under the lock: no more work for the transaction (judged, cut, or gone);
 * what it spooled and no worker read is no longer anyone's backlog.
 */
static void
ecx_finish(struct ecx *e)
{
	if (e->done)
		return;
	e->done = true;
	backlog -= e->spooled - e->taken;
}

/* The run queue: transactions with input or a clock check for a worker. */
static void
ecx_schedule(struct ecx *e)
{
	if (e->queued || e->busy || e->done)
		return;
	e->queued = true;
	e->refs++;
	inflight++;
	e->next_run = NULL;
	*runq_tail = e;
	runq_tail = &e->next_run;
	pthread_cond_signal(&ecx_cond);
}

/* The ready queue: news for Squid's thread. */
static void
ecx_post(struct ecx *e)
{
	if (e->ready || e->owner == NULL)
		return;
	e->ready = true;
	e->refs++;
	e->next_ready = NULL;
	*readyq_tail = e;
	readyq_tail = &e->next_ready;
}

/*
 * n spooled bytes from off (all of them published under the lock, so
 * their writes are seen): n, or what a read of the file came to.
 */
static ssize_t
ecx_spool_read(struct ecx *e, char *buf, size_t n, uint64_t off)
{
	size_t	m = 0;
	ssize_t	r;

	if (off < ECX_HEAD) {
		m = n < ECX_HEAD - off ? n : (size_t)(ECX_HEAD - off);
		memcpy(buf, e->head + off, m);
	}
	while (m < n) {
		r = pread(e->fd, buf + m, n - m, (off_t)(off + m - ECX_HEAD));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return m > 0 ? (ssize_t)m : r;
		m += (size_t)r;
	}
	return (ssize_t)m;
}

/*
 * Append to the spool (Squid's thread, the only writer): the head in
 * memory, past it the file, made at the first byte it gets. What was
 * spooled; short when the file could not be made or written (logged).
 */
static size_t
ecx_spool_write(struct ecx *e, const char *p, size_t len)
{
	uint64_t	off = e->spooled;
	size_t		m = 0;
	ssize_t		w;
	char		path[1100];

	if (off < ECX_HEAD) {
		m = len < ECX_HEAD - off ? len : (size_t)(ECX_HEAD - off);
		memcpy(e->head + off, p, m);
	}
	if (m < len && e->fd < 0) {
		snprintf(path, sizeof path, "%s/sslinspect-ecap.XXXXXX",
		    tmpdir);
		if ((e->fd = mkostemp(path, O_CLOEXEC)) < 0)
			goto fail;
		/* read and written by descriptor only: freed with it */
		unlink(path);
	}
	while (m < len) {
		if ((w = write(e->fd, p + m, len - m)) < 0 && errno == EINTR)
			continue;
		if (w == 0)
			errno = ENOSPC;
		if (w <= 0)
			goto fail;
		m += (size_t)w;
	}
	return m;
fail:
	ecapsvc_log(1, "sslinspect: spool file in %s: %s; the transfer fails",
	    tmpdir, strerror(errno));
	return m;
}

/* xact.c's spool: the bytes are in the spool already (ecx_feed). */
static int
ecx_spooled(void *arg, const char *buf, size_t len, int eof)
{
	(void)arg;
	(void)buf;
	(void)len;
	(void)eof;
	return 0;
}

/* Scan what is new in the spool, up to, and, with eof, the end. */
static enum xact_step
ecx_scan(struct ecx *e, uint64_t to, bool eof)
{
	static __thread char	*buf;
	enum xact_step		 step = XA_NONE;
	size_t			 n;
	ssize_t			 r;
	bool			 last;
	uint64_t		 from = e->taken;

	if (buf == NULL && (buf = malloc(ECX_CHUNK)) == NULL)
		return XA_ERROR;
	while ((e->taken < to || (eof && !e->eof_taken)) &&
	    e->taken - from < ECX_TURN) {
		n = to - e->taken > ECX_CHUNK ? ECX_CHUNK :
		    (size_t)(to - e->taken);
		if (n > 0 && (r = ecx_spool_read(e, buf, n, e->taken)) !=
		    (ssize_t)n)
			return XA_ERROR;
		last = eof && e->taken + n == to;
		if (xact_take(e->x, buf, n, last) != 0)
			return XA_ERROR;
		pthread_mutex_lock(&ecx_mtx);
		e->taken += n;
		if (!e->done)
			backlog -= n;
		pthread_mutex_unlock(&ecx_mtx);
		e->eof_taken |= last;
		/* a release too goes out at once: MaxHoldSize is the bound */
		if ((step = xact_check(e->x)) != XA_NONE)
			break;
	}
	return step;
}

/*
 * A worker's turn with a transaction: what is new in the spool is scanned,
 * the hold limits checked, and at the end the verdict made; a block's page
 * is made here too, so that Squid's thread only sends it.
 */
static void
ecx_work(struct ecx *e, uint64_t to, bool eof, bool failed)
{
	struct xact	*x = e->x;
	enum xact_step	 step = XA_NONE;
	bool		 ended = false;

	if (failed)
		step = XA_ERROR;
	else if (e->taken < to || (eof && !e->eof_taken))
		step = ecx_scan(e, to, eof);
	else if (xact_stage_due(x) && xact_stage_flush(x, 0) != 0)
		step = XA_ERROR;
	else
		step = xact_check(x);
	if ((step == XA_NONE || step == XA_RELEASE) && e->eof_taken) {
		xact_scan_end(x);
		if (!verdict_blocks(x->verdict))
			ended = true;
		else
			step = XA_BLOCK;
	}
	/*
	 * Every end goes to Squid's thread as a block. A spool that failed
	 * fails the transfer closed: the page says inspection failed and the
	 * audit record why. Once the release has begun, a block (xact.c's
	 * cut) is a cut if the shim answered already, and a page if the
	 * release's news still waits for it: Squid's thread decides
	 * (ecx_page, ecx_cut_late).
	 */
	if (step == XA_ERROR)
		xact_spool_failed(x);
	if (step == XA_ERROR || step == XA_CUT)
		step = XA_BLOCK;
	if (step == XA_BLOCK && x->mode != XM_STREAM) {
		e->page = xact_block_page(x, &e->ctype, &e->npage);
		x->mode = XM_BLOCK;
	}
	pthread_mutex_lock(&ecx_mtx);
	if (step != XA_NONE)
		e->news.step = step;
	e->news.ended = ended;
	if (ended)
		e->news.released = x->bytes;
	else if (x->mode == XM_STREAM)
		e->news.released = xact_release_to(x);
	e->due = xact_deadline(x);
	if (step == XA_BLOCK || ended)
		ecx_finish(e);
	pthread_mutex_unlock(&ecx_mtx);
}

static void *
ecx_worker(void *arg)
{
	struct ecx	*e;
	uint64_t	 to;
	bool		 eof, failed, work;

	(void)arg;
	/* top -H and ps -L tell them from Squid's own thread */
	pthread_setname_np(pthread_self(), "sslinspect-scan");
	pthread_mutex_lock(&ecx_mtx);
	for (;;) {
		while (runq == NULL)
			pthread_cond_wait(&ecx_cond, &ecx_mtx);
		e = runq;
		if ((runq = e->next_run) == NULL)
			runq_tail = &runq;
		e->queued = false;
		e->busy = true;
		work = e->owner != NULL && !e->done;
		to = e->spooled;
		eof = e->eof;
		failed = e->failed;
		pthread_mutex_unlock(&ecx_mtx);
		if (work)
			ecx_work(e, to, eof, failed);
		pthread_mutex_lock(&ecx_mtx);
		e->busy = false;
		inflight--;
		ecx_post(e);
		if (!e->done && (e->spooled > e->taken || (e->eof &&
		    !e->eof_taken) || e->failed))
			ecx_schedule(e);
		pthread_mutex_unlock(&ecx_mtx);
		ecx_put(e);
		pthread_mutex_lock(&ecx_mtx);
	}
	return NULL;
}

/*
 * The loader thread: the service's state and the workers. 0, or -1 with
 * why in cause; the service then fails every transaction.
 */
static int
ecapsvc_load(char **cause)
{
	pthread_attr_t	 attr;
	pthread_t	 t;
	unsigned	 i;
	struct xact_env	*env;
	char		*why = NULL;
	uint64_t	 t0 = ecapsvc_now();

	if (svcstate_open(tmpdir, ecapsvc_log) != 0) {
		cause_set(cause, "no policy could be loaded");
		return -1;
	}
	env = svcstate_env();
	env->stat = ecapstats_inc;
	if (ecapcache_open(tmpdir, svcstate_config()->verdict_cache_time,
	    &why) == 0) {
		env->cache_lookup = ecapcache_lookup;
		env->cache_store = ecapcache_store;
	} else {
		ecapsvc_log(1, "sslinspect: verdict cache: %s; the retry of a "
		    "download cut off is inspected again", why);
		free(why);
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&t, &attr, ecx_worker, NULL) != 0) {
			pthread_attr_destroy(&attr);
			cause_set(cause, "cannot start a worker thread");
			return -1;
		}
	pthread_attr_destroy(&attr);
	ecapsvc_log(2, "sslinspect: eCAP adapter started in %llu ms, %u "
	    "workers, spool in %s", (unsigned long long)(ecapsvc_now() - t0),
	    nthreads, tmpdir);
	return 0;
}

static void *
ecapsvc_loader(void *arg)
{
	char	*cause = NULL;
	int	 r;

	(void)arg;
	pthread_setname_np(pthread_self(), "sslinspect-load");
	r = ecapsvc_load(&cause);
	pthread_mutex_lock(&ecx_mtx);
	state = r == 0 ? ECX_READY : ECX_FAILED;
	load_cause = cause;
	pthread_cond_broadcast(&state_cond);
	pthread_mutex_unlock(&ecx_mtx);
	return NULL;
}

/*
 * On Squid's thread, at each transaction's start; the first in a Squid
 * kid starts the loader (the coordinator and the diskers never load the
 * engines). 1 when the service runs, 0 while it loads, -1 with why in
 * cause when it could not be loaded. wait: until the loading is over.
 */
int
ecapsvc_start(bool wait, char **cause)
{
	pthread_attr_t	 attr;
	pthread_t	 t;
	enum ecx_state	 st;

	pthread_mutex_lock(&ecx_mtx);
	if (state == ECX_IDLE) {
		started = true;
		state = ECX_LOADING;
		log_set_writer(ecapsvc_log_line);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, ecapsvc_loader, NULL) != 0) {
			state = ECX_FAILED;
			load_cause = strdup("cannot start the loading thread");
		}
		pthread_attr_destroy(&attr);
	}
	while (wait && state == ECX_LOADING)
		pthread_cond_wait(&state_cond, &ecx_mtx);
	st = state;
	pthread_mutex_unlock(&ecx_mtx);
	if (st == ECX_FAILED) {
		cause_set(cause, "%s", load_cause != NULL ? load_cause :
		    "out of memory");
		return -1;
	}
	return st == ECX_READY;
}

/*
 * The counters' line, when StatsInterval has passed since the last (or
 * since the first pass): at the first pass of Squid's loop after it, which
 * an idle worker may make late, with nothing new to tell.
 */
static void
ecapsvc_stats(uint64_t now)
{
	struct ecapstats_gauges	g;
	uint64_t		v[XS_COUNT];
	char			line[1024];

	if (stats_interval == 0)
		return;
	if (stats_logged == 0)
		stats_logged = now;
	if (now - stats_logged < (uint64_t)stats_interval * 1000)
		return;
	stats_logged = now;
	pthread_mutex_lock(&ecx_mtx);
	g.under_way = under_way;
	g.unscanned = backlog;
	pthread_mutex_unlock(&ecx_mtx);
	g.waits = waits_total;
	ecapstats_get(v);
	ecapstats_line(line, sizeof line, v, &g);
	ecapsvc_log(1, "%s", line);
}

/*
 * On Squid's thread, once per pass of its loop: the owners of the
 * transactions with news; and, every ECX_TICK, the transactions that wait
 * on a clock (a hold time, a stage to send on) go to a worker when due.
 */
void
ecapsvc_ready(void (*notify)(void *))
{
	struct ecx	*e, *list;
	uint64_t	 now = ecapsvc_now();

	pthread_mutex_lock(&ecx_mtx);
	if (now - last_tick >= ECX_TICK) {
		last_tick = now;
		for (e = all; e != NULL; e = e->next_all)
			if (!e->done && e->due != 0 && now >= e->due)
				ecx_schedule(e);
	}
	list = readyq;
	readyq = NULL;
	readyq_tail = &readyq;
	pthread_mutex_unlock(&ecx_mtx);
	ecapsvc_stats(now);
	while ((e = list) != NULL) {
		list = e->next_ready;
		pthread_mutex_lock(&ecx_mtx);
		e->ready = false;
		pthread_mutex_unlock(&ecx_mtx);
		if (e->owner != NULL)
			notify(e->owner);
		ecx_put(e);
	}
}

/*
 * On Squid's thread, as a request starts: whether it may go on to the
 * origin now, or must wait for the engines to load or the workers to
 * catch up (MaxBacklog). A
 * request kept waiting asks again at each pass of Squid's loop. Only the
 * transfers under way feed the backlog meanwhile, fewer as they end, and
 * the workers never wait for Squid: it shrinks.
 */
bool
ecapsvc_admit(void)
{
	uint64_t	b, now;

	pthread_mutex_lock(&ecx_mtx);
	b = backlog;
	if (state == ECX_LOADING) {
		pthread_mutex_unlock(&ecx_mtx);
		return false;
	}
	pthread_mutex_unlock(&ecx_mtx);
	if (backlog_max == 0 || b <= backlog_max) {
		waiting = false;
		return true;
	}
	if (waiting)
		return false;
	waiting = true;
	waits++;
	waits_total++;
	now = ecapsvc_now();
	if (wait_logged == 0 || now - wait_logged >= ECX_WAIT_LOG) {
		wait_logged = now;
		ecapsvc_log(2, "sslinspect: %llu %s spooled and not scanned "
		    "yet (MaxBacklog %llu %s): new requests wait for the "
		    "scanning threads (%lu times since the last such line); "
		    "more Threads, or CPU, would keep up",
		    ECX_SIZE(b), ECX_UNIT(b), ECX_SIZE(backlog_max),
		    ECX_UNIT(backlog_max), waits);
		waits = 0;
	}
	return false;
}

/*
 * How long Squid may sleep before it must look again (ms); -1: no limit.
 * Nothing can wake Squid when a worker is done, so while one works Squid
 * looks every millisecond: a few idle passes of its loop, against a
 * worker's answer waiting a whole tick.
 */
int
ecapsvc_wait_ms(void)
{
	int	ms;

	pthread_mutex_lock(&ecx_mtx);
	ms = readyq != NULL ? 0 : inflight > 0 ? 1 : all != NULL ? ECX_TICK :
	    -1;
	pthread_mutex_unlock(&ecx_mtx);
	return ms;
}

/*
 * A new transaction on Squid's thread: its facts, start mode, headers to
 * take out and head scan (xact.c). NULL when no policy runs or out of
 * memory.
 */
struct ecx *
ecx_new(const struct xact_head *h, void *owner)
{
	struct ecx	*e;

	if ((e = calloc(1, sizeof *e)) == NULL)
		return NULL;
	e->fd = -1;
	e->refs = 1;
	e->owner = owner;
	if ((e->pol = svcstate_policy()) == NULL ||
	    (e->x = xact_new(svcstate_env(), e->pol->p, h)) == NULL) {
		svcstate_policy_put(e->pol);
		free(e);
		return NULL;
	}
	if (xact_strip(e->x, h->req_lines, h->nreq))
		e->x->edited = true;
	xact_scan_head(e->x, h->req_lines, h->nreq);
	return e;
}

/* The transaction as it starts; Squid's thread, before ecx_begin only. */
const struct xact *
ecx_xact(const struct ecx *e)
{
	return e->x;
}

/* Hold and inspect the body: its spool file, then workers. 0 or -1. */
int
ecx_begin(struct ecx *e)
{
	if ((e->head = malloc(ECX_HEAD)) == NULL) {
		ecapsvc_log(1, "sslinspect: no memory for a body's spool");
		return -1;
	}
	if (xact_start_scan(e->x, ecx_spooled, e) != 0)
		return -1;
	pthread_mutex_lock(&ecx_mtx);
	e->next_all = all;
	if (all != NULL)
		all->prev_all = e;
	all = e;
	e->listed = true;
	under_way++;
	e->due = xact_deadline(e->x);
	pthread_mutex_unlock(&ecx_mtx);
	return 0;
}

/*
 * Body bytes from Squid's thread, written to the spool for the workers;
 * eof: the body's end. A spool that cannot be written fails the
 * transfer.
 */
void
ecx_feed(struct ecx *e, const void *buf, size_t len, bool eof)
{
	size_t	n = 0;
	bool	failed = false;

	/* after a failed write nothing more: the spool would have a gap */
	if (len > 0 && !e->done && !e->failed)
		failed = (n = ecx_spool_write(e, buf, len)) < len;
	pthread_mutex_lock(&ecx_mtx);
	e->spooled += n;
	if (!e->done)
		backlog += n;
	e->eof |= eof;
	e->failed |= failed;
	ecx_schedule(e);
	pthread_mutex_unlock(&ecx_mtx);
}

/* What the worker came to; its step is taken (seen once). */
void
ecx_news(struct ecx *e, struct ecx_news *n)
{
	pthread_mutex_lock(&ecx_mtx);
	*n = e->news;
	e->news.step = XA_NONE;
	pthread_mutex_unlock(&ecx_mtx);
}

/*
 * Spooled bytes from off for Squid's thread, no further than what the
 * news released; what lies a punch step behind is freed from the file.
 */
ssize_t
ecx_read(struct ecx *e, uint64_t off, void *buf, size_t len)
{
	uint64_t	lim, to;

	pthread_mutex_lock(&ecx_mtx);
	lim = e->news.released;
	pthread_mutex_unlock(&ecx_mtx);
	if (off >= lim)
		return 0;
	if (len > lim - off)
		len = (size_t)(lim - off);
	/* the file's offsets lie ECX_HEAD behind the body's */
	to = off - off % ECX_PUNCH;
	to = to > ECX_HEAD ? to - ECX_HEAD : 0;
#ifdef FALLOC_FL_PUNCH_HOLE
	if (to > e->punched && fallocate(e->fd, FALLOC_FL_PUNCH_HOLE |
	    FALLOC_FL_KEEP_SIZE, (off_t)e->punched,
	    (off_t)(to - e->punched)) == 0)
		e->punched = to;
#endif
	return ecx_spool_read(e, buf, len, off);
}

/*
 * The page of a transaction blocked at its start (Squid's thread) or by
 * its worker (made there, or here for a release not answered yet; no
 * worker has the transaction any more): malloc'd, the caller frees it;
 * NULL with *len 0 for an empty 403.
 */
char *
ecx_page(struct ecx *e, const char **ctype, size_t *len)
{
	char	*p;

	pthread_mutex_lock(&ecx_mtx);
	p = e->page;
	e->page = NULL;
	*len = e->npage;
	*ctype = e->ctype;
	pthread_mutex_unlock(&ecx_mtx);
	if (p == NULL && *ctype == NULL) {
		p = xact_block_page(e->x, ctype, len);
		e->x->mode = XM_BLOCK;
	}
	return p;
}

/* A CRL of the organisation, or not found: the body, and its type. */
char *
ecx_crl(struct ecx *e, const char **ctype, size_t *len, time_t *mtime)
{
	struct crl_reply	 r;
	char			*p;

	xact_crl(e->x, &r);
	*ctype = r.content_type;
	*mtime = r.status == 200 ? r.mtime : 0;
	if (r.status != 200) {
		crlserve_reply_free(&r);
		*len = 0;
		return NULL;
	}
	p = r.body;
	*len = r.len;
	r.body = NULL;
	crlserve_reply_free(&r);
	return p;
}

/*
 * A block found after the shim answered (Squid's thread; no worker has
 * the transaction any more): the transfer is cut off, and its retry
 * answered from the verdict cache.
 */
void
ecx_cut_late(struct ecx *e)
{
	if (e->x->mode == XM_STREAM && verdict_blocks(e->x->verdict))
		xact_cut(e->x);
}

/* Squid's thread ended the transfer early (cut or aborted): no more work. */
void
ecx_cut(struct ecx *e)
{
	pthread_mutex_lock(&ecx_mtx);
	ecx_finish(e);
	pthread_mutex_unlock(&ecx_mtx);
}

static void
ecx_put(struct ecx *e)
{
	bool	last;

	pthread_mutex_lock(&ecx_mtx);
	last = --e->refs == 0;
	pthread_mutex_unlock(&ecx_mtx);
	if (!last)
		return;
	xact_free(e->x);
	svcstate_policy_put(e->pol);
	if (e->fd >= 0)
		close(e->fd);
	free(e->head);
	free(e->page);
	free(e);
}

/* The shim's transaction is gone (Squid's thread). */
void
ecx_release(struct ecx *e)
{
	pthread_mutex_lock(&ecx_mtx);
	e->owner = NULL;
	ecx_finish(e);
	if (e->listed) {
		if (e->prev_all != NULL)
			e->prev_all->next_all = e->next_all;
		else
			all = e->next_all;
		if (e->next_all != NULL)
			e->next_all->prev_all = e->prev_all;
		e->listed = false;
		under_way--;
	}
	pthread_mutex_unlock(&ecx_mtx);
	ecx_put(e);
}
