/*
 * parsers_bench: throughput of the upload body parsers on one core, as
 * ratios to one memchr pass over the same bytes in the same run (the
 * memory limit): multipart/form-data (plain parts and base64 parts),
 * application/x-www-form-urlencoded and JSON, each fed in 4064-byte
 * c-icap pieces to a sink that only counts, so the figure is the parser's
 * own cost, not the engines'.
 *
 *	parsers_bench [-m MiB] [-b body-KiB] [-r repetitions] [-o only]
 *
 * Run it pinned: taskset -c 1 tests/bench/parsers_bench (parsers.sh runs
 * it three times). MB/s are of input bytes; the best of the repetitions
 * is printed. The body stays in the caches, as a c-icap piece just read
 * from the socket does, so the memchr pass runs at cache speed (tens of
 * GB/s), far above the memory-bound figure of a cold pass.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "svc.h"

#define PIECE	4064	/* c-icap's body piece */
#define BOUNDARY "------------------------bench7d3f"

static uint64_t	rng = 0x9e3779b97f4a7c15ULL;
static volatile uint64_t sink_bytes;
static const char *only;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const char *const words[] = {
	"invoice", "customer", "address", "order", "delivery", "account",
	"total", "the", "and", "with", "street", "city", "number", "note",
	"comment", "price", "quantity", "reference", "summer", "basket",
};
#define NWORDS	(sizeof words / sizeof words[0])

struct buf {
	char	*p;
	size_t	 len, cap;
};

static void
put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		if ((b->p = realloc(b->p, b->cap)) == NULL) {
			perror("realloc");
			exit(1);
		}
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* Words, digits and punctuation: the text of a typical form field. */
static void
text(struct buf *b, size_t n)
{
	char		num[32];
	size_t		start = b->len;
	uint64_t	r;

	while (b->len - start < n) {
		r = next();
		if (r % 7 == 0) {
			snprintf(num, sizeof num, "%llu",
			    (unsigned long long)(r >> 40));
			puts_(b, num);
		} else
			puts_(b, words[r % NWORDS]);
		puts_(b, r % 11 == 0 ? ", " : r % 13 == 0 ? ".\r\n" : " ");
	}
}

static void
base64(struct buf *b, const unsigned char *in, size_t n)
{
	static const char	t[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char			out[4];
	size_t			i, col = 0;
	uint32_t		v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i +
		    2];
		out[0] = t[v >> 18];
		out[1] = t[(v >> 12) & 63];
		out[2] = t[(v >> 6) & 63];
		out[3] = t[v & 63];
		put(b, out, 4);
		if ((col += 4) == 76) {
			puts_(b, "\r\n");
			col = 0;
		}
	}
}

/* Form fields and 64 KiB file parts, as a browser sends them. */
static void
gen_multipart(struct buf *b, size_t size, bool b64)
{
	struct buf	part = { NULL, 0, 0 };
	char		h[256];
	unsigned	i = 0;

	while (b->len < size) {
		snprintf(h, sizeof h, "--%s\r\n", BOUNDARY);
		puts_(b, h);
		if (i % 4 != 3) {
			snprintf(h, sizeof h, "Content-Disposition: form-data; "
			    "name=\"field%u\"\r\n\r\n", i);
			puts_(b, h);
			text(b, 200 + next() % 2000);
		} else {
			snprintf(h, sizeof h, "Content-Disposition: form-data; "
			    "name=\"file%u\"; filename=\"doc%u.txt\"\r\n"
			    "Content-Type: text/plain\r\n%s\r\n", i, i,
			    b64 ? "Content-Transfer-Encoding: base64\r\n" : "");
			puts_(b, h);
			part.len = 0;
			text(&part, 64 * 1024);
			if (b64)
				base64(b, (unsigned char *)part.p, part.len);
			else
				put(b, part.p, part.len);
		}
		puts_(b, "\r\n");
		i++;
	}
	snprintf(h, sizeof h, "--%s--\r\n", BOUNDARY);
	puts_(b, h);
	free(part.p);
}

/* key=value&... with '+' for spaces and %XX for the rest. */
static void
gen_urlencoded(struct buf *b, size_t size)
{
	struct buf	v = { NULL, 0, 0 };
	char		h[64];
	size_t		i;
	unsigned	k = 0;

	while (b->len < size) {
		snprintf(h, sizeof h, "%sfield%u=", k ? "&" : "", k);
		puts_(b, h);
		v.len = 0;
		text(&v, 50 + next() % 400);
		for (i = 0; i < v.len; i++) {
			if (v.p[i] == ' ')
				puts_(b, "+");
			else if ((v.p[i] >= 'a' && v.p[i] <= 'z') ||
			    (v.p[i] >= '0' && v.p[i] <= '9')) {
				put(b, v.p + i, 1);
			} else {
				snprintf(h, sizeof h, "%%%02X",
				    (unsigned char)v.p[i]);
				puts_(b, h);
			}
		}
		k++;
	}
	free(v.p);
}

/* An array of records with string, number and escaped values. */
static void
gen_json(struct buf *b, size_t size)
{
	char		h[128];
	unsigned	k = 0;

	puts_(b, "[");
	while (b->len < size) {
		snprintf(h, sizeof h, "%s{\"id\":%u,\"name\":\"", k ? "," : "",
		    k);
		puts_(b, h);
		text(b, 20 + next() % 40);
		puts_(b, "\",\"note\":\"");
		text(b, 100 + next() % 600);
		puts_(b, "\\n\\\"quoted\\\" \\u00e9t\\u00e9\",\"amount\":");
		snprintf(h, sizeof h, "%llu.%02u,\"tags\":[\"a\",\"b\"]}",
		    (unsigned long long)(next() % 100000),
		    (unsigned)(next() % 100));
		puts_(b, h);
		k++;
	}
	puts_(b, "]");
}

static int
count_sink(void *arg, const void *p, size_t n)
{
	(void)arg;
	(void)p;
	sink_bytes += n;
	return 0;
}

static char mp_handle;

static void *
mp_begin(void *arg, const struct mp_part *part)
{
	(void)arg;
	(void)part;
	return &mp_handle;
}

static int
mp_data(void *arg, void *h, const void *p, size_t n)
{
	(void)h;
	return count_sink(arg, p, n);
}

static int
mp_end(void *arg, void *h)
{
	(void)arg;
	(void)h;
	return 0;
}

static const struct mp_callbacks mp_cbs = { mp_begin, mp_data, NULL, mp_end,
    NULL };

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

enum kind { K_MEMCHR, K_MULTIPART, K_URLENCODED, K_JSON };

/* One body through one parser in pieces; 0 or -1. */
static int
run_body(enum kind k, const char *p, size_t len, const struct svc_limits *lim)
{
	struct multipart	*m = NULL;
	struct form		*f = NULL;
	size_t			 o, n;
	int			 rc = 0;
	const char		*q;

	if (k == K_MULTIPART)
		m = multipart_new(BOUNDARY, lim, &mp_cbs, NULL);
	else if (k == K_URLENCODED || k == K_JSON)
		f = form_new(k == K_JSON ? FORM_JSON : FORM_URLENCODED,
		    count_sink, NULL);
	if ((k == K_MULTIPART && m == NULL) ||
	    ((k == K_URLENCODED || k == K_JSON) && f == NULL))
		return -1;
	for (o = 0; o < len && rc == 0; o += n) {
		n = len - o < PIECE ? len - o : PIECE;
		switch (k) {
		case K_MEMCHR:
			/* A byte that is not there: one full pass. */
			q = memchr(p + o, 0x01, n);
			sink_bytes += q == NULL ? n : 0;
			break;
		case K_MULTIPART:
			rc = multipart_feed(m, p + o, n) == MP_OK ? 0 : -1;
			break;
		default:
			rc = form_feed(f, p + o, n);
			break;
		}
	}
	if (m != NULL) {
		if (rc == 0 && multipart_finish(m) != MP_OK)
			rc = -1;
		if (rc != 0)
			fprintf(stderr, "multipart: %s\n", multipart_error(m));
		multipart_free(m);
	}
	if (f != NULL) {
		if (rc == 0)
			rc = form_finish(f);
		form_free(f);
	}
	return rc;
}

/* MB/s of input, the best of reps runs over total bytes. */
static double
measure(enum kind k, const struct buf *b, size_t total, int reps,
    const struct svc_limits *lim)
{
	double	best = 0, t0, dt;
	size_t	done;
	int	r;

	/*
	 * Warm the caches and the allocator, so the first kind is not
	 * penalised.
	 */
	if (run_body(k, b->p, b->len, lim) != 0) {
		fprintf(stderr, "parser failed\n");
		exit(1);
	}
	for (r = 0; r < reps; r++) {
		t0 = now();
		for (done = 0; done < total; done += b->len)
			if (run_body(k, b->p, b->len, lim) != 0) {
				fprintf(stderr, "parser failed\n");
				exit(1);
			}
		dt = now() - t0;
		if (done / dt / 1e6 > best)
			best = done / dt / 1e6;
	}
	return best;
}

static void
report(const char *name, enum kind k, const struct buf *b, size_t total,
    int reps, const struct svc_limits *lim)
{
	double	base, mbs;

	if (only != NULL && strcmp(only, name) != 0)
		return;
	base = measure(K_MEMCHR, b, total, reps, lim);
	mbs = measure(k, b, total, reps, lim);
	printf("%-18s %8.0f MB/s   memchr %8.0f MB/s   ratio %.4f (1/%.0f)\n",
	    name, mbs, base, mbs / base, base / mbs);
}

int
main(int argc, char **argv)
{
	struct svc_config	c;
	struct buf		mp = { NULL, 0, 0 }, mp64 = { NULL, 0, 0 };
	struct buf		ue = { NULL, 0, 0 }, js = { NULL, 0, 0 };
	size_t			total = 64 << 20, body = 1 << 20;
	int			ch, reps = 3;

	while ((ch = getopt(argc, argv, "m:b:r:o:")) != -1) {
		switch (ch) {
		case 'm':
			total = (size_t)strtoul(optarg, NULL, 10) << 20;
			break;
		case 'b':
			body = (size_t)strtoul(optarg, NULL, 10) << 10;
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 'o':
			only = optarg;
			break;
		default:
			fprintf(stderr,
			    "usage: parsers_bench [-m MiB] [-b body-KiB] "
			    "[-r repetitions] [-o only]\n");
			return 2;
		}
	}
	if (total == 0 || body == 0 || reps < 1)
		return 2;
	svcconf_defaults(&c);
	gen_multipart(&mp, body, false);
	gen_multipart(&mp64, body, true);
	gen_urlencoded(&ue, body);
	gen_json(&js, body);
	printf("bodies of %zu KiB in %d-byte pieces, %zu MiB per run, best of "
	    "%d\n",
	    body >> 10, PIECE, total >> 20, reps);
	report("multipart", K_MULTIPART, &mp, total, reps, &c.limits);
	report("multipart base64", K_MULTIPART, &mp64, total, reps, &c.limits);
	report("urlencoded", K_URLENCODED, &ue, total, reps, &c.limits);
	report("json", K_JSON, &js, total, reps, &c.limits);
	svcconf_free(&c);
	free(mp.p);
	free(mp64.p);
	free(ue.p);
	free(js.p);
	return 0;
}
