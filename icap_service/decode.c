/*
 * Content-Encoding decoding, streaming: gzip and deflate (ISA-L's
 * isal_inflate when configure found it, about three times zlib's speed;
 * zlib otherwise), br (libbrotlidec) and zstd (libzstd), chained in the
 * order the header lists them ("gzip, br" was gzipped, then brotli'd, so
 * brotli is undone first).
 * Memory per chain is the decoders' own state plus one 16 KiB buffer per
 * layer; output goes to a sink as it is produced. Limits end the stream
 * with an explicit status: CORRUPT, BOMB (ratio), LIMIT (size).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <brotli/decode.h>
#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>
#else
#include <zlib.h>
#endif
#include <zstd.h>

#include "svc.h"

#define DECODE_BUF	16384
#define DECODE_MAXLAYERS 8
/* Below this much output the ratio test is not applied (small bodies compress well). */
#define DECODE_RATIO_FLOOR (1024 * 1024)

enum coding { C_GZIP, C_DEFLATE, C_BR, C_ZSTD };

struct layer {
	enum coding	 coding;
	int		 started;	/* inflate stream initialised */
	int		 ended;		/* a complete stream/frame was seen */
	unsigned char	 head[2];	/* first bytes of a deflate stream */
	size_t		 nhead;
#ifdef HAVE_ISAL
	struct inflate_state *isal;
#else
	z_stream	 z;
#endif
	BrotliDecoderState *br;
	ZSTD_DStream	*zs;
	unsigned char	*out;
};

struct decode_chain {
	struct layer	 layers[DECODE_MAXLAYERS];
	size_t		 nlayers;
	const struct svc_limits *limits;
	decode_sink	 sink;
	void		*arg;
	uint64_t	 in, out;
	enum decode_status status;
};

static int
decode_coding(const char *tok, size_t len, enum coding *out)
{
	static const struct { const char *name; enum coding c; } names[] = {
		{ "gzip", C_GZIP }, { "x-gzip", C_GZIP }, { "deflate", C_DEFLATE },
		{ "br", C_BR }, { "zstd", C_ZSTD }
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strlen(names[i].name) == len &&
		    strncasecmp(tok, names[i].name, len) == 0) {
			*out = names[i].c;
			return 0;
		}
	}
	return -1;
}

static int
layer_init(struct layer *l, enum coding c)
{
	l->coding = c;
	if ((l->out = malloc(DECODE_BUF)) == NULL)
		return -1;
#ifdef HAVE_ISAL
	/* 87 KB, against zlib's 44 KB; only compressed bodies pay it. */
	if ((c == C_GZIP || c == C_DEFLATE) &&
	    (l->isal = malloc(sizeof *l->isal)) == NULL)
		return -1;
#endif
	if (c == C_BR && (l->br = BrotliDecoderCreateInstance(NULL, NULL, NULL)) == NULL)
		return -1;
	if (c == C_ZSTD && (l->zs = ZSTD_createDStream()) == NULL)
		return -1;
	if (c == C_ZSTD) {
		ZSTD_initDStream(l->zs);
		/* HTTP zstd uses windows of at most 8 MiB (RFC 9659); bounds memory. */
		ZSTD_DCtx_setParameter(l->zs, ZSTD_d_windowLogMax, 23);
	}
	return 0;
}

/*
 * Build a chain for a Content-Encoding value (NULL or "identity": no
 * layers). Always returns a chain unless out of memory; an unknown coding
 * or too many layers makes every feed return DECODE_UNSUPPORTED.
 */
struct decode_chain *
decode_new(const char *ce, const struct svc_limits *lim, decode_sink sink,
    void *arg)
{
	struct decode_chain *d;
	enum coding c;
	size_t len;

	if ((d = calloc(1, sizeof *d)) == NULL)
		return NULL;
	d->limits = lim;
	d->sink = sink;
	d->arg = arg;
	while (ce != NULL && *ce != '\0' && d->status == DECODE_OK) {
		ce += strspn(ce, " \t,");
		len = strcspn(ce, " \t,");
		if (len == 0)
			break;
		if (len == 8 && strncasecmp(ce, "identity", 8) == 0) {
			ce += len;
			continue;
		}
		if (decode_coding(ce, len, &c) != 0 || d->nlayers >= lim->max_layers ||
		    d->nlayers >= DECODE_MAXLAYERS)
			d->status = DECODE_UNSUPPORTED;
		else if (layer_init(&d->layers[d->nlayers++], c) != 0) {
			decode_free(d);
			return NULL;
		}
		ce += len;
	}
	return d;
}

static enum decode_status decode_push(struct decode_chain *, size_t,
    const unsigned char *, size_t);

/* Pass produced bytes on to the next inner layer, or to the sink. */
static enum decode_status
decode_emit(struct decode_chain *d, size_t idx, const unsigned char *buf,
    size_t len)
{
	if (len == 0)
		return DECODE_OK;
	if (idx > 0)
		return decode_push(d, idx - 1, buf, len);
	d->out += len;
	if (d->out > d->limits->max_decoded)
		return DECODE_LIMIT;
	if (d->out > DECODE_RATIO_FLOOR && d->in > 0 &&
	    d->out / d->in > d->limits->max_ratio)
		return DECODE_BOMB;
	return d->sink(d->arg, buf, len) == 0 ? DECODE_OK : DECODE_SINK;
}

/* RFC 9110 deflate is zlib-wrapped; some servers send raw deflate. */
static int
inflate_zlib_wrapped(const unsigned char *head)
{
	return (head[0] & 0x0f) == 8 && ((head[0] << 8) | head[1]) % 31 == 0;
}

#ifdef HAVE_ISAL
static void
isal_wrapper(struct layer *l)
{
	if (l->coding == C_GZIP)
		l->isal->crc_flag = ISAL_GZIP;
	else if (inflate_zlib_wrapped(l->head))
		l->isal->crc_flag = ISAL_ZLIB;
	else
		l->isal->crc_flag = ISAL_DEFLATE;
}

static enum decode_status
inflate_start(struct layer *l)
{
	isal_inflate_init(l->isal);
	isal_wrapper(l);
	l->started = 1;
	return DECODE_OK;
}

/*
 * isal_inflate consumes all input it is given (buffering what it cannot
 * use yet) unless the output fills or the stream ends; at the end of a
 * gzip member it hands back the bytes it read ahead, so the next member
 * starts right there.
 */
static enum decode_status
inflate_run(struct decode_chain *d, size_t idx, const unsigned char *buf, size_t len)
{
	struct layer *l = &d->layers[idx];
	struct inflate_state *z = l->isal;
	enum decode_status st;
	uint32_t in_before;
	size_t out;
	int full = 0;

	z->next_in = (uint8_t *)buf;
	z->avail_in = (uint32_t)len;
	for (;;) {
		if (l->ended) {
			if (z->avail_in == 0)
				break;
			/* Concatenated gzip members; anything else after the end is junk. */
			if (l->coding != C_GZIP)
				return DECODE_CORRUPT;
			isal_inflate_reset(z);
			isal_wrapper(l);
			l->ended = 0;
		} else if (z->avail_in == 0 && !full)
			break;
		in_before = z->avail_in;
		z->next_out = l->out;
		z->avail_out = DECODE_BUF;
		if (isal_inflate(z) != ISAL_DECOMP_OK)
			return DECODE_CORRUPT;
		out = DECODE_BUF - z->avail_out;
		if ((st = decode_emit(d, idx, l->out, out)) != DECODE_OK)
			return st;
		full = z->avail_out == 0;
		if (z->block_state == ISAL_BLOCK_FINISH) {
			l->ended = 1;
			/*
			 * After raw or zlib deflate it keeps up to 8 bytes read
			 * ahead in its bit buffer: whole bytes there came after
			 * the end (gzip hands them back, as checked above).
			 */
			if (z->read_in_length >= 8)
				return DECODE_CORRUPT;
		} else if (out == 0 && z->avail_in == in_before && in_before > 0)
			return DECODE_CORRUPT;	/* no progress */
	}
	return DECODE_OK;
}

static void
inflate_free(struct layer *l)
{
	free(l->isal);
}
#else
static enum decode_status
inflate_start(struct layer *l)
{
	int wbits = 15 + 16;	/* gzip */

	if (l->coding == C_DEFLATE)
		wbits = inflate_zlib_wrapped(l->head) ? 15 : -15;
	memset(&l->z, 0, sizeof l->z);
	if (inflateInit2(&l->z, wbits) != Z_OK)
		return DECODE_CORRUPT;
	l->started = 1;
	return DECODE_OK;
}

static enum decode_status
inflate_run(struct decode_chain *d, size_t idx, const unsigned char *buf, size_t len)
{
	struct layer *l = &d->layers[idx];
	enum decode_status st;
	int zr, full = 0;

	l->z.next_in = (unsigned char *)buf;
	l->z.avail_in = (uInt)len;
	for (;;) {
		if (l->ended) {
			if (l->z.avail_in == 0)
				break;
			/* Concatenated gzip members; anything else after the end is junk. */
			if (l->coding != C_GZIP || inflateReset(&l->z) != Z_OK)
				return DECODE_CORRUPT;
			l->ended = 0;
		} else if (l->z.avail_in == 0 && !full)
			break;
		l->z.next_out = l->out;
		l->z.avail_out = DECODE_BUF;
		zr = inflate(&l->z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
			return DECODE_CORRUPT;
		if ((st = decode_emit(d, idx, l->out, DECODE_BUF - l->z.avail_out)) != DECODE_OK)
			return st;
		full = l->z.avail_out == 0;
		if (zr == Z_STREAM_END)
			l->ended = 1;
		else if (zr == Z_BUF_ERROR && l->z.avail_out == DECODE_BUF) {
			/* No progress: fine once the input is used up, junk if not. */
			if (l->z.avail_in > 0)
				return DECODE_CORRUPT;
			break;
		}
	}
	return DECODE_OK;
}

static void
inflate_free(struct layer *l)
{
	if (l->started)
		inflateEnd(&l->z);
}
#endif

static enum decode_status
inflate_feed(struct decode_chain *d, size_t idx, const unsigned char *buf, size_t len)
{
	struct layer *l = &d->layers[idx];
	enum decode_status st;
	unsigned char head[2];
	size_t n;

	if (!l->started) {
		n = 2 - l->nhead < len ? 2 - l->nhead : len;
		memcpy(l->head + l->nhead, buf, n);
		l->nhead += n;
		buf += n;
		len -= n;
		if (l->nhead < 2)
			return DECODE_OK;
		if ((st = inflate_start(l)) != DECODE_OK)
			return st;
		memcpy(head, l->head, 2);
		if ((st = inflate_run(d, idx, head, 2)) != DECODE_OK)
			return st;
	}
	return inflate_run(d, idx, buf, len);
}

static enum decode_status
br_feed(struct decode_chain *d, size_t idx, const unsigned char *buf, size_t len)
{
	struct layer *l = &d->layers[idx];
	enum decode_status st;
	BrotliDecoderResult r;
	size_t avail_out;
	unsigned char *next_out;

	if (l->ended)
		return len > 0 ? DECODE_CORRUPT : DECODE_OK;
	do {
		next_out = l->out;
		avail_out = DECODE_BUF;
		r = BrotliDecoderDecompressStream(l->br, &len, &buf, &avail_out,
		    &next_out, NULL);
		if (r == BROTLI_DECODER_RESULT_ERROR)
			return DECODE_CORRUPT;
		if ((st = decode_emit(d, idx, l->out, DECODE_BUF - avail_out)) != DECODE_OK)
			return st;
		if (r == BROTLI_DECODER_RESULT_SUCCESS) {
			l->ended = 1;
			return len > 0 ? DECODE_CORRUPT : DECODE_OK;
		}
	} while (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT || len > 0);
	return DECODE_OK;
}

static enum decode_status
zstd_feed(struct decode_chain *d, size_t idx, const unsigned char *buf, size_t len)
{
	struct layer *l = &d->layers[idx];
	enum decode_status st;
	ZSTD_inBuffer in = { buf, len, 0 };
	ZSTD_outBuffer out;
	size_t r;

	do {
		out.dst = l->out;
		out.size = DECODE_BUF;
		out.pos = 0;
		r = ZSTD_decompressStream(l->zs, &out, &in);
		if (ZSTD_isError(r))
			return DECODE_CORRUPT;
		if ((st = decode_emit(d, idx, l->out, out.pos)) != DECODE_OK)
			return st;
		l->ended = (r == 0);
	} while (in.pos < in.size || out.pos == out.size);
	return DECODE_OK;
}

static enum decode_status
decode_push(struct decode_chain *d, size_t idx, const unsigned char *buf,
    size_t len)
{
	switch (d->layers[idx].coding) {
	case C_BR:
		return br_feed(d, idx, buf, len);
	case C_ZSTD:
		return zstd_feed(d, idx, buf, len);
	default:
		return inflate_feed(d, idx, buf, len);
	}
}

/* Feed raw body bytes. Once a status other than OK is returned it sticks. */
enum decode_status
decode_feed(struct decode_chain *d, const void *buf, size_t len)
{
	if (d->status != DECODE_OK || len == 0)
		return d->status;
	d->in += len;
	if (d->nlayers == 0)
		d->status = decode_emit(d, 0, buf, len);
	else
		d->status = decode_push(d, d->nlayers - 1, buf, len);
	return d->status;
}

/* End of the raw body: a layer that did not see its end was truncated. */
enum decode_status
decode_finish(struct decode_chain *d)
{
	size_t i;

	if (d->status != DECODE_OK || d->in == 0)
		return d->status;
	for (i = 0; i < d->nlayers; i++) {
		if (!d->layers[i].ended) {
			d->status = DECODE_CORRUPT;
			break;
		}
	}
	return d->status;
}

uint64_t
decode_out_bytes(const struct decode_chain *d)
{
	return d->out;
}

const char *
decode_status_str(enum decode_status s)
{
	switch (s) {
	case DECODE_OK:
		return "ok";
	case DECODE_CORRUPT:
		return "corrupt or truncated compressed data";
	case DECODE_BOMB:
		return "decompression bomb (ratio over the limit)";
	case DECODE_LIMIT:
		return "decoded size over the limit";
	case DECODE_UNSUPPORTED:
		return "unsupported content encoding";
	default:
		return "inspection failed";
	}
}

void
decode_free(struct decode_chain *d)
{
	size_t i;
	struct layer *l;

	if (d == NULL)
		return;
	for (i = 0; i < d->nlayers; i++) {
		l = &d->layers[i];
		if (l->coding == C_GZIP || l->coding == C_DEFLATE)
			inflate_free(l);
		if (l->br != NULL)
			BrotliDecoderDestroyInstance(l->br);
		if (l->zs != NULL)
			ZSTD_freeDStream(l->zs);
		free(l->out);
	}
	free(d);
}
