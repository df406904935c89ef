/*
 * loadclient: many concurrent transfers through an HTTP proxy in one
 * process (libcurl's multi interface), each checked: the status must be
 * the one the manifest expects and a 200's body must have the manifest's
 * SHA-256, so a truncated or altered body is counted, never missed.
 *
 *   loadclient -x PROXY -C CAFILE -u BASEURL -m MANIFEST
 *              [-c CONCURRENCY] [-t SECONDS] [-n TRANSFERS] [-r RESOLVE]
 *
 * MANIFEST has one transfer kind per line:
 *   GET  PATH  STATUS  SHA256|-
 *   POST PATH  STATUS  SHA256|-  FILE [TYPE]   (FILE is the body sent,
 *                                       TYPE its Content-Type, one word)
 * PATH is appended to BASEURL, or is a full URL of its own.
 * Kinds are used in turn until SECONDS have passed or TRANSFERS are done.
 * The report (stdout, key=value) gives transfers, requests/s, MB/s, the
 * MB/s of the window (window_mbps: the download bytes that reached the
 * client in the first SECONDS, while every transfer slot was busy, over
 * that time; the other rates count whole transfers over the whole run,
 * the drain of the last long transfers included. A proxy that holds a
 * download for its verdict delivers it after the window, so compare two
 * modes by the whole-run rates), the client's own CPU
 * (client_cpu: CPU-seconds per second of the run, so 1.00 is a whole
 * core taken from the proxy it measures on the same machine), the
 * p50 and p99 latency, the requests sent again (retries: see
 * xfer_resend), and the errors by kind (status, digest: a body
 * altered or cut short yet delivered as complete, transfer: a visible
 * failure, breach: a transfer expected to be blocked that was delivered);
 * the exit status is 1 when any transfer failed its check.
 *
 * Sockets are watched with epoll through curl_multi_socket_action(), so
 * the client's cost per event does not grow with the number of transfers:
 * with curl_multi_perform() and poll() every wakeup scanned all of them.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#define MAXKINDS	256

enum err_kind {
	E_STATUS,	/* another HTTP status than expected */
	E_DIGEST,	/* a 200 whose body differs (altered or truncated) */
	E_TRANSFER,	/* curl failed: reset, timeout, TLS ... */
	E_BREACH,	/* expected blocked (403), delivered (2xx) */
	E_COUNT
};

static const char *const err_names[E_COUNT] = { "status", "digest",
    "transfer", "breach" };

struct kind {
	char		 method[8];
	char		 path[1024];
	long		 status;
	char		 sha[65];	/* "" when the body is not checked */
	char		*body;		/* POST body, malloc'd */
	size_t		 bodylen;
	struct curl_slist *hdrs;	/* its Content-Type, or NULL */
};

struct xfer {
	CURL		*h;
	const struct kind *k;
	EVP_MD_CTX	*md;
	uint64_t	 bytes;
	double		 t0;
	bool		 retried;	/* sent again once already */
};

static struct kind kinds[MAXKINDS];
static size_t nkinds;
static uint64_t errs[E_COUNT], done_n, bytes_total, up_total, retries;
static uint64_t bytes_live;	/* download bytes as they arrive */
static double *lat;
static size_t nlat, lat_cap;

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
slurp(const char *path, char **buf, size_t *len)
{
	struct stat	st;
	int		fd;
	ssize_t		n;

	if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &st) != 0)
		return -1;
	if ((*buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return -1;
	}
	*len = 0;
	while (*len < (size_t)st.st_size &&
	    (n = read(fd, *buf + *len, (size_t)st.st_size - *len)) > 0)
		*len += (size_t)n;
	close(fd);
	return *len == (size_t)st.st_size ? 0 : -1;
}

/* Read the manifest; 0, or -1 with a message naming the file and line. */
static int
manifest_load(const char *path)
{
	FILE		*f;
	char		 line[2048], file[1024], type[256], hdr[300];
	unsigned	 lineno = 0;
	int		 n;
	struct kind	*k;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "loadclient: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0')
			continue;
		if (nkinds == MAXKINDS) {
			fprintf(stderr,
			    "loadclient: %s:%u: more than %d kinds\n",
			    path, lineno, MAXKINDS);
			fclose(f);
			return -1;
		}
		k = &kinds[nkinds];
		file[0] = type[0] = '\0';
		n = sscanf(line, "%7s %1023s %ld %64s %1023s %255s", k->method,
		    k->path, &k->status, k->sha, file, type);
		if (n < 4 || (strcmp(k->method, "GET") != 0 &&
		    strcmp(k->method, "POST") != 0) ||
		    (strcmp(k->method, "POST") == 0 && n < 5) ||
		    (strcmp(k->method, "GET") == 0 && n > 4)) {
			fprintf(stderr,
			    "loadclient: %s:%u: expected METHOD PATH "
			    "STATUS SHA256|- [FILE [TYPE]]\n", path, lineno);
			fclose(f);
			return -1;
		}
		if (strcmp(k->sha, "-") == 0)
			k->sha[0] = '\0';
		if (n == 6) {
			snprintf(hdr, sizeof hdr, "Content-Type: %s", type);
			k->hdrs = curl_slist_append(NULL, hdr);
		}
		if (n >= 5 && slurp(file, &k->body, &k->bodylen) != 0) {
			fprintf(stderr, "loadclient: %s:%u: %s: cannot read\n",
			    path,
			    lineno, file);
			fclose(f);
			return -1;
		}
		nkinds++;
	}
	fclose(f);
	if (nkinds == 0) {
		fprintf(stderr, "loadclient: %s: no transfers\n", path);
		return -1;
	}
	return 0;
}

static size_t
on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer	*x = arg;
	size_t		 n = size * nmemb;

	EVP_DigestUpdate(x->md, p, n);
	x->bytes += n;
	bytes_live += n;
	return n;
}

static void	xfer_send(CURLM *, struct xfer *, const char *, const char *,
		    const char *, struct curl_slist *);

/* Start the next kind of transfer on x. */
static void
xfer_start(CURLM *m, struct xfer *x, const char *base, const char *proxy,
    const char *cafile, struct curl_slist *resolve)
{
	static size_t	next;

	x->k = &kinds[next++ % nkinds];
	x->t0 = now();
	x->retried = false;
	xfer_send(m, x, base, proxy, cafile, resolve);
}

/* Send x's request (again, for a retry): the same kind, a fresh digest. */
static void
xfer_send(CURLM *m, struct xfer *x, const char *base, const char *proxy,
    const char *cafile, struct curl_slist *resolve)
{
	char		url[2048];

	x->bytes = 0;
	EVP_DigestInit_ex(x->md, EVP_sha256(), NULL);
	/* A kind may name its own origin with a full URL. */
	if (strncmp(x->k->path, "https://", 8) == 0 ||
	    strncmp(x->k->path, "http://", 7) == 0)
		snprintf(url, sizeof url, "%s", x->k->path);
	else
		snprintf(url, sizeof url, "%s%s", base, x->k->path);
	curl_easy_reset(x->h);
	curl_easy_setopt(x->h, CURLOPT_URL, url);
	curl_easy_setopt(x->h, CURLOPT_PROXY, proxy);
	curl_easy_setopt(x->h, CURLOPT_CAINFO, cafile);
	curl_easy_setopt(x->h, CURLOPT_RESOLVE, resolve);
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
	/*
	 * A stall is an error, a slow transfer is not: 500 transfers share
	 * the machine's bandwidth, and a 20 MiB one may take many minutes
	 * while it moves. No byte for 60 s fails it (curl 28), as does an
	 * hour in all.
	 */
	curl_easy_setopt(x->h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(x->h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(x->h, CURLOPT_TIMEOUT, 3600L);
	curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	/*
	 * A retry takes a new connection: the other idle ones may have been
	 * closed in the same moment (Squid 5.7 closes one after each page it
	 * generated, and hundreds of transfers start together).
	 */
	if (x->retried)
		curl_easy_setopt(x->h, CURLOPT_FRESH_CONNECT, 1L);
	if (strcmp(x->k->method, "POST") == 0) {
		curl_easy_setopt(x->h, CURLOPT_POSTFIELDS, x->k->body);
		curl_easy_setopt(x->h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)x->k->bodylen);
		curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->k->hdrs);
	}
	curl_multi_add_handle(m, x->h);
}

/*
 * Send a failed request again, on a new connection, as browsers do, when
 * it failed on a connection it reused before any byte of an answer: the
 * proxy had closed that connection meanwhile (HTTP/1.1 lets either side
 * close an idle one; Squid 5.7 also closes some after a page it generated,
 * though the page said keep-alive). Once per transfer, and counted
 * (retries=).
 */
static bool
xfer_resend(struct xfer *x, CURLcode rc)
{
	long	connects = -1, hdrbytes = -1;

	if (x->retried || (rc != CURLE_SEND_ERROR && rc != CURLE_RECV_ERROR &&
	    rc != CURLE_GOT_NOTHING))
		return false;
	curl_easy_getinfo(x->h, CURLINFO_NUM_CONNECTS, &connects);
	curl_easy_getinfo(x->h, CURLINFO_HEADER_SIZE, &hdrbytes);
	if (connects != 0 || hdrbytes != 0 || x->bytes != 0)
		return false;
	x->retried = true;
	retries++;
	fprintf(stderr, "loadclient: %s %s: sent again (curl %d %s on a "
	    "reused connection, before any answer)\n", x->k->method,
	    x->k->path, rc, curl_easy_strerror(rc));
	return true;
}

/*
 * One failed transfer on stderr, with what tells where it failed: its
 * local port (to find it in a packet capture or in Squid's logs with %>p),
 * whether it reused a connection, and when each phase ended (seconds
 * after it started; 0 for a phase not reached).
 */
static void
xfer_report(struct xfer *x, enum err_kind e, CURLcode rc, long status)
{
	long	port = 0, connects = 0;
	double	conn = 0, tls = 0, first = 0;

	curl_easy_getinfo(x->h, CURLINFO_LOCAL_PORT, &port);
	curl_easy_getinfo(x->h, CURLINFO_NUM_CONNECTS, &connects);
	curl_easy_getinfo(x->h, CURLINFO_CONNECT_TIME, &conn);
	curl_easy_getinfo(x->h, CURLINFO_APPCONNECT_TIME, &tls);
	curl_easy_getinfo(x->h, CURLINFO_STARTTRANSFER_TIME, &first);
	fprintf(stderr, "loadclient: %s %s: %s (curl %d %s, status %ld, "
	    "%llu bytes; port %ld, %s connection, connected %.3f, TLS %.3f, "
	    "first byte %.3f, failed %.3f s)\n", x->k->method, x->k->path,
	    err_names[e], rc, curl_easy_strerror(rc), status,
	    (unsigned long long)x->bytes, port, connects > 0 ? "a new" :
	    "a reused", conn, tls, first, now() - x->t0);
}

/* Check one finished transfer against its kind. */
static void
xfer_check(struct xfer *x, CURLcode rc)
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	char		hex[65];
	unsigned	mdlen = 0, i;
	long		status = 0;
	enum err_kind	e = E_COUNT;

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	EVP_DigestFinal_ex(x->md, md, &mdlen);
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[64] = '\0';
	if (rc != CURLE_OK)
		e = E_TRANSFER;
	else if (status != x->k->status)
		e = x->k->status == 403 && status / 100 == 2 ?
		    E_BREACH : E_STATUS;
	else if (status == 200 && x->k->sha[0] != '\0' && strcmp(hex,
	    x->k->sha) != 0)
		e = E_DIGEST;
	if (e != E_COUNT) {
		errs[e]++;
		xfer_report(x, e, rc, status);
	}
	done_n++;
	bytes_total += x->bytes;
	if (strcmp(x->k->method, "POST") == 0)
		up_total += x->k->bodylen;
	if (nlat == lat_cap) {
		lat_cap = lat_cap ? lat_cap * 2 : 4096;
		lat = realloc(lat, lat_cap * sizeof *lat);
	}
	if (lat != NULL)
		lat[nlat++] = now() - x->t0;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The event loop's state: the epoll set and libcurl's next timeout. */
struct loop {
	int		 ep;
	double		 deadline;	/* libcurl's timer is due; 0: none */
};

/* CURLMOPT_SOCKETFUNCTION: keep the epoll set as libcurl asks. */
static int
on_socket(CURL *e, curl_socket_t s, int what, void *arg, void *sockp)
{
	struct loop		*l = arg;
	struct epoll_event	 ev;

	(void)e;
	(void)sockp;
	if (what == CURL_POLL_REMOVE) {
		(void)epoll_ctl(l->ep, EPOLL_CTL_DEL, s, NULL);
		return 0;
	}
	memset(&ev, 0, sizeof ev);
	ev.data.fd = s;
	ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0) |
	    ((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
	if (epoll_ctl(l->ep, EPOLL_CTL_MOD, s, &ev) == -1 &&
	    (errno != ENOENT || epoll_ctl(l->ep, EPOLL_CTL_ADD, s, &ev) == -1))
		fprintf(stderr, "loadclient: epoll_ctl: %s\n", strerror(errno));
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: ms < 0 means no timer. */
static int
on_timer(CURLM *m, long ms, void *arg)
{
	struct loop	*l = arg;

	(void)m;
	l->deadline = ms < 0 ? 0 : now() + ms / 1000.0;
	return 0;
}

/*
 * Wait up to 100 ms for socket events or libcurl's timer and hand them to
 * libcurl; *running is how many transfers are left.
 */
static void
loop_once(CURLM *m, struct loop *l, int *running)
{
	struct epoll_event	 evs[64];
	double			 wait = 0.1;
	int			 n, i, flags;

	if (l->deadline > 0)
		wait = l->deadline - now();
	if (wait > 0.1)
		wait = 0.1;
	if (wait < 0)
		wait = 0;
	n = epoll_wait(l->ep, evs, 64, (int)(wait * 1000));
	for (i = 0; i < n; i++) {
		flags = ((evs[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
		    ((evs[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
		    ((evs[i].events & (EPOLLERR | EPOLLHUP)) ?
		    CURL_CSELECT_ERR : 0);
		curl_multi_socket_action(m, evs[i].data.fd, flags, running);
	}
	if (l->deadline > 0 && now() >= l->deadline) {
		l->deadline = 0;
		curl_multi_socket_action(m, CURL_SOCKET_TIMEOUT, 0, running);
	}
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: loadclient -x PROXY -C CAFILE -u BASEURL -m MANIFEST "
	    "[-c CONCURRENCY] [-t SECONDS] [-n TRANSFERS] [-r "
	    "HOST:PORT:ADDR]...\n");
}

int
main(int argc, char **argv)
{
	const char		*proxy = NULL, *cafile = NULL, *base = NULL,
	    *manifest = NULL;
	struct curl_slist	*resolve = NULL;
	struct xfer		*xs;
	struct loop		 l = { -1, 0 };
	struct rusage		 ru;
	CURLM			*m;
	CURLMsg			*msg;
	long			 conc = 50, secs = 60, max = 0;
	double			 t0, el, win_el = 0;
	uint64_t		 win_bytes = 0;
	int			 ch, running, left, i;
	uint64_t		 started;
	bool			 stop = false;

	while ((ch = getopt(argc, argv, "x:C:u:m:c:t:n:r:")) != -1) {
		switch (ch) {
		case 'x': proxy = optarg; break;
		case 'C': cafile = optarg; break;
		case 'u': base = optarg; break;
		case 'm': manifest = optarg; break;
		case 'c': conc = strtol(optarg, NULL, 10); break;
		case 't': secs = strtol(optarg, NULL, 10); break;
		case 'n': max = strtol(optarg, NULL, 10); break;
		case 'r': resolve = curl_slist_append(resolve, optarg); break;
		default: usage(); return 2;
		}
	}
	if (proxy == NULL || cafile == NULL || base == NULL ||
	    manifest == NULL ||
	    conc < 1 || conc > 10000 || secs < 1) {
		usage();
		return 2;
	}
	if (manifest_load(manifest) != 0)
		return 2;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((l.ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		fprintf(stderr, "loadclient: epoll: %s\n", strerror(errno));
		return 2;
	}
	m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, conc);
	curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(m, CURLMOPT_SOCKETDATA, &l);
	curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(m, CURLMOPT_TIMERDATA, &l);
	if ((xs = calloc((size_t)conc, sizeof *xs)) == NULL)
		return 2;
	t0 = now();
	for (i = 0; i < conc; i++) {
		xs[i].h = curl_easy_init();
		xs[i].md = EVP_MD_CTX_new();
		xfer_start(m, &xs[i], base, proxy, cafile, resolve);
	}
	started = (uint64_t)conc;
	running = conc;
	do {
		loop_once(m, &l, &running);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			struct xfer *x;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&x);
			curl_multi_remove_handle(m, x->h);
			if (xfer_resend(x, msg->data.result)) {
				xfer_send(m, x, base, proxy, cafile, resolve);
				continue;
			}
			xfer_check(x, msg->data.result);
			stop = now() - t0 >= secs || (max > 0 &&
			    started >= (uint64_t)max);
			if (!stop) {
				xfer_start(m, x, base, proxy, cafile, resolve);
				started++;
			}
		}
		if (win_el == 0 && now() - t0 >= secs) {
			win_el = now() - t0;
			win_bytes = bytes_live;
		}
	} while (running > 0 || !stop);
	el = now() - t0;
	if (win_el == 0) {
		win_el = el;
		win_bytes = bytes_live;
	}
	qsort(lat, nlat, sizeof *lat, cmp_double);
	getrusage(RUSAGE_SELF, &ru);
	printf("transfers=%llu seconds=%.1f req_per_s=%.1f down_mbps=%.1f "
	    "up_mbps=%.1f window_mbps=%.1f client_cpu=%.2f "
	    "p50_ms=%.1f p99_ms=%.1f retries=%llu errors_status=%llu "
	    "errors_digest=%llu errors_transfer=%llu errors_breach=%llu\n",
	    (unsigned long long)done_n, el,
	    done_n / el,
	    bytes_total / el / 1e6, up_total / el / 1e6,
	    win_bytes / win_el / 1e6,
	    (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6) / el,
	    nlat ? lat[nlat / 2] * 1000 : 0,
	    nlat ? lat[(size_t)(nlat * 0.99)] * 1000 : 0,
	    (unsigned long long)retries,
	    (unsigned long long)errs[E_STATUS],
	    (unsigned long long)errs[E_DIGEST],
	    (unsigned long long)errs[E_TRANSFER],
	    (unsigned long long)errs[E_BREACH]);
	for (i = 0; i < conc; i++) {
		curl_easy_cleanup(xs[i].h);
		EVP_MD_CTX_free(xs[i].md);
	}
	curl_multi_cleanup(m);
	close(l.ep);
	curl_slist_free_all(resolve);
	curl_global_cleanup();
	return errs[E_STATUS] + errs[E_DIGEST] + errs[E_TRANSFER] +
	    errs[E_BREACH] > 0;
}
