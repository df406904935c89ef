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
 * the drain of the last long transfers included), the
 * p50 and p99 latency, and the errors by kind (status, digest: a body
 * altered or cut short yet delivered as complete, transfer: a visible
 * failure, breach: a transfer expected to be blocked that was delivered);
 * the exit status is 1 when any transfer failed its check.
 */
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
};

static struct kind kinds[MAXKINDS];
static size_t nkinds;
static uint64_t errs[E_COUNT], done_n, bytes_total, up_total;
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

static void
xfer_start(CURLM *m, struct xfer *x, const char *base, const char *proxy,
    const char *cafile, struct curl_slist *resolve)
{
	static size_t	next;
	char		url[2048];

	x->k = &kinds[next++ % nkinds];
	x->bytes = 0;
	x->t0 = now();
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
	if (strcmp(x->k->method, "POST") == 0) {
		curl_easy_setopt(x->h, CURLOPT_POSTFIELDS, x->k->body);
		curl_easy_setopt(x->h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)x->k->bodylen);
		curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->k->hdrs);
	}
	curl_multi_add_handle(m, x->h);
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
		fprintf(stderr,
		    "loadclient: %s %s: %s (curl %d %s, status %ld, %llu "
		    "bytes)\n",
		    x->k->method, x->k->path, err_names[e], rc,
		    curl_easy_strerror(rc),
		    status, (unsigned long long)x->bytes);
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
	m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, conc);
	if ((xs = calloc((size_t)conc, sizeof *xs)) == NULL)
		return 2;
	t0 = now();
	for (i = 0; i < conc; i++) {
		xs[i].h = curl_easy_init();
		xs[i].md = EVP_MD_CTX_new();
		xfer_start(m, &xs[i], base, proxy, cafile, resolve);
	}
	started = (uint64_t)conc;
	do {
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			struct xfer *x;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&x);
			curl_multi_remove_handle(m, x->h);
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
		if (running > 0)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	} while (running > 0 || !stop);
	el = now() - t0;
	if (win_el == 0) {
		win_el = el;
		win_bytes = bytes_live;
	}
	qsort(lat, nlat, sizeof *lat, cmp_double);
	printf("transfers=%llu seconds=%.1f req_per_s=%.1f down_mbps=%.1f "
	    "up_mbps=%.1f window_mbps=%.1f "
	    "p50_ms=%.1f p99_ms=%.1f errors_status=%llu errors_digest=%llu "
	    "errors_transfer=%llu errors_breach=%llu\n",
	    (unsigned long long)done_n, el,
	    done_n / el,
	    bytes_total / el / 1e6, up_total / el / 1e6,
	    win_bytes / win_el / 1e6,
	    nlat ? lat[nlat / 2] * 1000 : 0,
	    nlat ? lat[(size_t)(nlat * 0.99)] * 1000 : 0,
	    (unsigned long long)errs[E_STATUS],
	    (unsigned long long)errs[E_DIGEST],
	    (unsigned long long)errs[E_TRANSFER],
	    (unsigned long long)errs[E_BREACH]);
	for (i = 0; i < conc; i++) {
		curl_easy_cleanup(xs[i].h);
		EVP_MD_CTX_free(xs[i].md);
	}
	curl_multi_cleanup(m);
	curl_slist_free_all(resolve);
	curl_global_cleanup();
	return errs[E_STATUS] + errs[E_DIGEST] + errs[E_TRANSFER] +
	    errs[E_BREACH] > 0;
}
