/*
 * engines_bench: throughput of the detection engines on one core, as
 * ratios to one memchr pass over the same bytes (the memory limit), on
 * generated mixed HTML/JSON text full of digits (the hard case for the
 * card and SSN patterns).
 *
 *	engines_bench [-m MiB] [-b body-KiB] [-r repetitions] [-o only]
 *
 * Run it pinned: taskset -c 1 tests/bench/engines_bench. It prints one
 * line per path; "identity" is the default upload profile (DLP, EICAR,
 * SHA-256 blocklist, true type) fed in 4064-byte c-icap pieces, "gzip" is
 * the same after the service's own decoder (decode.c: ISA-L when built
 * with it, else zlib; 16 KiB output buffers) on gzip'd bodies fed in
 * 4064-byte pieces. "zlib inflate alone" is plain zlib, for comparison.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <openssl/evp.h>

#include "engine.h"
#include "svc.h"

#define PIECE		4064	/* c-icap's body piece */
#ifdef HAVE_ISAL
#define DECODER		"ISA-L"
#else
#define DECODER		"zlib"
#endif
#define OUTBUF		16384

static uint64_t	rng = 0x2545f4914f6cdd1dULL;

static uint64_t
next(void)
{
	rng ^= rng << 7;
	rng ^= rng >> 9;
	return rng;
}

static const char *const words[] = {
	"catalog", "shipping", "basket", "account", "review", "delivery",
	"refund", "warehouse", "voucher", "size", "colour", "summer", "sale",
	"free", "returns", "within", "days", "the", "and", "for", "with",
	"our", "your", "new", "best", "price", "stock", "item", "brand",
};
#define NWORDS	(sizeof words / sizeof words[0])

static size_t
put_words(char *p, unsigned n)
{
	size_t	o = 0;

	while (n-- > 0)
		o += (size_t)sprintf(p + o, "%s%s", words[next() % NWORDS],
		    n ? " " : "");
	return o;
}

/* One record, HTML or JSON; a quarter carry a 16-digit order number. */
static size_t
record(char *p)
{
	size_t		o = 0;
	unsigned	i;

	if (next() % 2 == 0) {
		o += (size_t)sprintf(p, "<li class=\"product\" data-id=\"%u\">"
		    "<a href=\"/p/%u\">", (unsigned)(next() % 1000000),
		    (unsigned)(next() % 100000));
		o += put_words(p + o, 3 + (unsigned)(next() % 5));
		o += (size_t)sprintf(p + o, "</a><span>$%u.%02u</span>"
		    "<small>%u in stock, ships %u-%02u-%02u</small></li>\n",
		    (unsigned)(next() % 500), (unsigned)(next() % 100),
		    (unsigned)(next() % 80), 2024 + (unsigned)(next() % 3),
		    1 + (unsigned)(next() % 12), 1 + (unsigned)(next() % 28));
		return o;
	}
	o += (size_t)sprintf(p,
	    "{\"id\":%u,\"ts\":%llu,\"phone\":\"555-%03u-%04u\","
	    "\"qty\":%u,\"total\":%u.%02u,", (unsigned)(next() % 10000000),
	    1700000000000ULL + next() % 100000000000ULL,
	    (unsigned)(next() % 1000), (unsigned)(next() % 10000),
	    (unsigned)(next() % 9), (unsigned)(next() % 900),
	    (unsigned)(next() % 100));
	if (next() % 4 == 0) {
		o += (size_t)sprintf(p + o, "\"order\":\"");
		for (i = 0; i < 16; i++)
			p[o++] = (char)('0' + next() % 10);
		o += (size_t)sprintf(p + o, "\",");
	}
	o += (size_t)sprintf(p + o, "\"note\":\"");
	o += put_words(p + o, 4 + (unsigned)(next() % 6));
	o += (size_t)sprintf(p + o, "\"},\n");
	return o;
}

static char *
corpus(size_t len)
{
	char	*buf = malloc(len + 1024), *p = buf;

	while ((size_t)(p - buf) < len)
		p += record(p);
	return buf;
}

/*
 * CPU time of this thread: on a shared machine, time spent waiting for the
 * core is not the engines' cost (MB/s "per core").
 */
static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct run {
	struct engine_set	*set;
	struct engine_profile	 prof;
	unsigned		 found;
};

static void
die(const char *what, const char *cause)
{
	fprintf(stderr, "engines_bench: %s: %s\n", what, cause ? cause : "");
	exit(1);
}

static struct engine_scan *
begin(struct run *r)
{
	struct engine_scan	*s;
	char			*cause = NULL;

	if ((s = engine_scan_begin(r->set, &r->prof, ENGINE_UPLOAD, NULL,
	    &cause)) == NULL)
		die("begin", cause);
	return s;
}

static void
end(struct run *r, struct engine_scan *s)
{
	struct engine_result	 res;
	char			*cause = NULL;

	if (engine_scan_end(s, &res, &cause) != 0)
		die("end", cause);
	r->found += (unsigned)res.nfindings;
	engine_scan_free(s);
}

static void
feed(struct engine_scan *s, const void *p, size_t n)
{
	char	*cause = NULL;

	if (engine_scan_feed(s, p, n, &cause) != 0)
		die("feed", cause);
}

/* Bodies of body bytes, each fed in PIECE pieces. */
static void
run_identity(struct run *r, const char *buf, size_t len, size_t body)
{
	struct engine_scan	*s;
	size_t			 off, b, n;

	for (b = 0; b < len; b += body) {
		s = begin(r);
		for (off = b; off < b + body && off < len; off += n) {
			n = b + body - off < PIECE ? b + body - off : PIECE;
			if (n > len - off)
				n = len - off;
			feed(s, buf + off, n);
		}
		end(r, s);
	}
}

struct gz {
	unsigned char	*p;
	size_t		 n;
};

static struct gz *
gzip_bodies(const char *buf, size_t len, size_t body, size_t *nb, size_t *zlen)
{
	struct gz	*v;
	z_stream	 z;
	size_t		 i, cap;

	*nb = (len + body - 1) / body;
	v = calloc(*nb, sizeof *v);
	*zlen = 0;
	for (i = 0; i < *nb; i++) {
		memset(&z, 0, sizeof z);
		deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
		z.next_in = (unsigned char *)buf + i * body;
		z.avail_in = (unsigned)(len - i * body < body ? len - i * body :
		    body);
		cap = deflateBound(&z, z.avail_in);
		v[i].p = malloc(cap);
		z.next_out = v[i].p;
		z.avail_out = (unsigned)cap;
		if (deflate(&z, Z_FINISH) != Z_STREAM_END)
			die("deflate", NULL);
		v[i].n = cap - z.avail_out;
		*zlen += v[i].n;
		deflateEnd(&z);
	}
	return v;
}

/* Inflate each body from PIECE-byte input pieces; feed r unless NULL. */
static void
run_gzip(struct run *r, const struct gz *v, size_t nb)
{
	unsigned char		 out[OUTBUF];
	struct engine_scan	*s = NULL;
	z_stream		 z;
	size_t			 i, off, n;
	int			 rc;

	for (i = 0; i < nb; i++) {
		memset(&z, 0, sizeof z);
		inflateInit2(&z, 31);
		if (r != NULL)
			s = begin(r);
		for (off = 0; off < v[i].n; off += n) {
			n = v[i].n - off < PIECE ? v[i].n - off : PIECE;
			z.next_in = v[i].p + off;
			z.avail_in = (unsigned)n;
			do {
				z.next_out = out;
				z.avail_out = sizeof out;
				rc = inflate(&z, Z_NO_FLUSH);
				if (rc != Z_OK && rc != Z_STREAM_END &&
				    rc != Z_BUF_ERROR)
					die("inflate", z.msg);
				if (s != NULL && z.avail_out < sizeof out)
					feed(s, out, sizeof out - z.avail_out);
			} while (z.avail_out == 0);
		}
		inflateEnd(&z);
		if (s != NULL)
			end(r, s);
	}
}

static volatile size_t	sink;

static int
decode_to_scan(void *arg, const void *p, size_t n)
{
	feed(arg, p, n);
	return 0;
}

static int
decode_to_nothing(void *arg, const void *p, size_t n)
{
	(void)arg;
	sink += n + ((const unsigned char *)p)[0];
	return 0;
}

/* As run_gzip, through decode.c as the service runs it. */
static void
run_decode(struct run *r, const struct gz *v, size_t nb)
{
	struct svc_limits	 lim;
	struct decode_chain	*d;
	struct engine_scan	*s = NULL;
	size_t			 i, off, n;

	memset(&lim, 0, sizeof lim);
	lim.max_decoded = UINT64_MAX;
	lim.max_ratio = 1000;
	lim.max_layers = 4;
	for (i = 0; i < nb; i++) {
		if (r != NULL)
			s = begin(r);
		d = decode_new("gzip", &lim, s != NULL ? decode_to_scan :
		    decode_to_nothing, s);
		for (off = 0; off < v[i].n; off += n) {
			n = v[i].n - off < PIECE ? v[i].n - off : PIECE;
			if (decode_feed(d, v[i].p + off, n) != DECODE_OK)
				die("decode", decode_status_str(decode_feed(d,
				    NULL, 0)));
		}
		if (decode_finish(d) != DECODE_OK)
			die("decode", "truncated");
		decode_free(d);
		if (s != NULL)
			end(r, s);
	}
}

static double
best_of(int reps, size_t bytes, void (*fn)(void *), void *arg)
{
	double	t, best = 1e9;
	int	i;

	for (i = 0; i < reps; i++) {
		t = now();
		fn(arg);
		t = now() - t;
		if (t < best)
			best = t;
	}
	return (double)bytes / best / 1e6;
}

struct job {
	struct run	*r;
	void		(*decode)(struct run *, const struct gz *, size_t);
	const char	*buf;
	size_t		 len, body, nb;
	struct gz	*gz;
};

static void
job_memchr(void *a)
{
	struct job	*j = a;

	sink += memchr(j->buf, 0x01, j->len) == NULL;
}

static void
job_sha(void *a)
{
	struct job	*j = a;
	unsigned char	 md[32];
	unsigned	 n;
	size_t		 off;
	EVP_MD_CTX	*c = EVP_MD_CTX_new();

	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	for (off = 0; off < j->len; off += PIECE)
		EVP_DigestUpdate(c, j->buf + off, j->len - off < PIECE ?
		    j->len - off : PIECE);
	EVP_DigestFinal_ex(c, md, &n);
	EVP_MD_CTX_free(c);
	sink += md[0];
}

static void
job_identity(void *a)
{
	struct job	*j = a;

	run_identity(j->r, j->buf, j->len, j->body);
}

/* Decode the gzip'd bodies with j->decode; j->r NULL: decoder alone. */
static void
job_decode(void *a)
{
	struct job	*j = a;

	j->decode(j->r, j->gz, j->nb);
}

static struct engine_set *
load_set(const char *blocklist)
{
	struct engine_config	 cfg;
	struct engine_set	*set;
	char			*cause = NULL;

	engine_config_defaults(&cfg);
	cfg.clamav = false;
	cfg.hash_blocklist = blocklist;
	if ((set = engine_set_load(&cfg, &cause)) == NULL)
		die("load", cause);
	return set;
}

int
main(int argc, char **argv)
{
	struct run	 full, dlp;
	struct job	 j;
	char		 list[] = "/tmp/engines_bench.XXXXXX";
	size_t		 mib = 64, kib = 1024, zlen;
	double		 mem, v;
	const char	*only = NULL;
	int		 reps = 3, ch, fd;

	while ((ch = getopt(argc, argv, "m:b:r:o:")) != -1) {
		switch (ch) {
		case 'o': only = optarg; break;
		case 'm': mib = (size_t)atoi(optarg); break;
		case 'b': kib = (size_t)atoi(optarg); break;
		case 'r': reps = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: engines_bench [-m MiB] "
			    "[-b body-KiB] [-r reps] [-o only]\n");
			return 1;
		}
	}
	if ((fd = mkstemp(list)) == -1 || write(fd, "# bench\n"
	    "0000000000000000000000000000000000000000000000000000000000000000"
	    "\n",
	    73) != 73)
		die("blocklist", list);
	close(fd);
	memset(&j, 0, sizeof j);
	j.len = mib * 1024 * 1024;
	j.body = kib * 1024;
	j.buf = corpus(j.len);
	memset(&full, 0, sizeof full);
	full.set = load_set(list);
	engine_profile_defaults(&full.prof, ENGINE_UPLOAD);
	dlp = full;
	dlp.set = load_set(NULL);
	dlp.prof.malware = false;
	dlp.prof.filetype = false;
	dlp.prof.archives = false;
	j.gz = gzip_bodies(j.buf, j.len, j.body, &j.nb, &zlen);

	printf("corpus: %zu MiB mixed HTML/JSON, %zu KiB bodies, %d reps, "
	    "gzip ratio %.2f\n", mib, kib, reps, (double)j.len / (double)zlen);
	mem = best_of(reps, j.len, job_memchr, &j);
	printf("%-34s %9.1f MB/s\n", "memchr (one pass, the limit)", mem);
#define LINE(name, fn, run) do {					\
	j.r = (run);							\
	if (only != NULL && strstr(name, only) == NULL)			\
		break;							\
	v = best_of(reps, j.len, fn, &j);				\
	printf("%-34s %9.1f MB/s  %6.2f%% of memchr\n", name, v,	\
	    100.0 * v / mem);						\
} while (0)
	LINE("sha256 alone", job_sha, NULL);
	LINE("dlp alone (stream, 4064 pieces)", job_identity, &dlp);
	LINE("identity: dlp+sha256+eicar+type", job_identity, &full);
	j.decode = run_gzip;
	LINE("zlib inflate alone", job_decode, NULL);
	j.decode = run_decode;
	LINE("decode.c (" DECODER ") alone", job_decode, NULL);
	LINE("gzip: decode.c+dlp+sha256+eicar+type", job_decode, &full);
	engine_set_free(full.set);
	engine_set_free(dlp.set);
	unlink(list);
	return 0;
}
