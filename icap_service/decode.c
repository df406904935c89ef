/*
 * Content-Encoding decoding, streaming: gzip and deflate (ISA-L's
 * isal_inflate when configure found it, about three times zlib's speed;
 * zlib otherwise), br (libbrotlidec) and zstd (libzstd), chained in the
 * order the header lists them ("gzip, br" was gzipped, then brotli'd, so
 * brotli is undone first).
 * Memory per chain is the decoders' own state plus one 16 KiB buffer per
 * layer; output goes to a sink as it is produced. Limits end the stream
 * with an explicit status: CORRUPT, BOMB (ratio), LIMIT (size), and they
 * apply to the output of every layer, not only the last: a layer that
 * expands into one that swallows everything (a gzip header comment that
 * never ends, inside zstd) would otherwise decode without bound.
 *
 * Tokens are read as browsers read them. Names that encode nothing
 * ("identity", and "none" or a charset such as "UTF-8", which real
 * servers send) are skipped, as Firefox skips every name it does not
 * know and Chrome shows the body as it is. Chrome, though, undoes codings
 * from the outermost in and stops at the first name it does not know, so
 * "gzip, identity" is gzip data to Chrome and plain text to Firefox: a
 * name that encodes nothing listed after a real coding is ambiguous. A
 * coding this file cannot undo ("compress", "dcb") leaves content that
 * some client might decode: unsupported. Either way the chain still
 * decodes the codings outside the last such name, so that the engines see
 * what every browser shows, and decode_taint() says why the body cannot
 * count as inspected.
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
/*
 * Below this much output of a layer the ratio test is not applied: a
 * ratio alone says nothing about cost. A 10 MB log that gzip shrinks
 * 500 times decodes in milliseconds; what makes a bomb is output that no
 * longer pays for itself, and 64 MiB at ISA-L's or zstd's speed is a
 * tenth of a second of one core. Past it, a ratio over MaxRatio stops the
 * layer early, long before MaxDecodedSize does.
 */
#define DECODE_RATIO_FLOOR (64ULL * 1024 * 1024)

enum coding { C_GZIP, C_DEFLATE, C_BR, C_ZSTD };

struct layer {
	enum coding	 coding;
	uint64_t	 nin, nout;	/* bytes into and out of this layer */
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
	/* why the result is not the whole truth */
	enum decode_status taint;
};

static int
decode_coding(const char *tok, size_t len, enum coding *out)
{
	static const struct { const char *name; enum coding c; } names[] = {
		{ "gzip", C_GZIP }, { "x-gzip", C_GZIP }, { "deflate",
		  C_DEFLATE },
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

/*
 * Names servers send that encode nothing: no client decodes them, every
 * client shows the bytes as they are.
 */
static bool
decode_nothing(const char *tok, size_t len)
{
	static const char *const names[] = { "identity", "none", "utf-8",
	    "utf8", "us-ascii", "iso-8859-1", "latin1", "binary", "7bit",
	    "8bit", "text", "plain" };
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i]) == len && strncasecmp(tok, names[i],
		    len) == 0)
			return true;
	return false;
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
	if (c == C_BR && (l->br = BrotliDecoderCreateInstance(NULL, NULL,
	    NULL)) == NULL)
		return -1;
	if (c == C_ZSTD && (l->zs = ZSTD_createDStream()) == NULL)
		return -1;
	if (c == C_ZSTD) {
		ZSTD_initDStream(l->zs);
		/*
		 * HTTP zstd uses windows of at most 8 MiB (RFC 9659); bounds
		 * memory.
		 */
		ZSTD_DCtx_setParameter(l->zs, ZSTD_d_windowLogMax, 23);
	}
	return 0;
}

/*
 * Read a Content-Encoding list (several header lines joined with ", ",
 * as RFC 9110 and browsers read them) into codings[], in the order
 * listed, the last DECODE_MAXLAYERS of them at index i % DECODE_MAXLAYERS;
 * *ncodings counts codings only, not names that encode nothing. *taint says
 * whether the list is ambiguous or names a coding not known here; then
 * *first is the index of the first coding outside the last name that is
 * not a coding: what every client undoes.
 */
static void
decode_parse(const char *ce, enum coding *codings, size_t *ncodings,
    size_t *first, enum decode_status *taint)
{
	enum coding	c;
	size_t		len, n = 0;

	*first = 0;
	*taint = DECODE_OK;
	while (ce != NULL && *ce != '\0') {
		ce += strspn(ce, " \t,");
		len = strcspn(ce, " \t,");
		if (len == 0)
			break;
		if (decode_coding(ce, len, &c) == 0) {
			/*
			 * The outermost codings are the ones undone: keep the
			 * last.
			 */
			codings[n++ % DECODE_MAXLAYERS] = c;
		} else {
			if (n > 0)
				*taint = DECODE_AMBIGUOUS;
			else if (!decode_nothing(ce, len) &&
			    *taint == DECODE_OK)
				*taint = DECODE_UNSUPPORTED;
			*first = n;
		}
		ce += len;
	}
	*ncodings = n;
}

/*
 * Build a chain for a Content-Encoding value (NULL, "" or "identity": no
 * layers). Always returns a chain unless out of memory; see decode_taint
 * for lists it cannot fully undo. More codings than MaxEncodings: the
 * outermost ones are undone and the chain is tainted DECODE_LAYERS.
 */
struct decode_chain *
decode_new(const char *ce, const struct svc_limits *lim, decode_sink sink,
    void *arg)
{
	enum coding		 codings[DECODE_MAXLAYERS];
	struct decode_chain	*d;
	size_t			 n, first, i, max;

	if ((d = calloc(1, sizeof *d)) == NULL)
		return NULL;
	d->limits = lim;
	d->sink = sink;
	d->arg = arg;
	decode_parse(ce, codings, &n, &first, &d->taint);
	max = lim->max_layers < DECODE_MAXLAYERS ?
	    lim->max_layers : DECODE_MAXLAYERS;
	if (n - first > max) {
		first = n - max;
		if (d->taint == DECODE_OK)
			d->taint = DECODE_LAYERS;
	}
	for (i = first; i < n; i++) {
		if (layer_init(&d->layers[d->nlayers++],
		    codings[i % DECODE_MAXLAYERS]) != 0) {
			decode_free(d);
			return NULL;
		}
	}
	return d;
}

/*
 * Why the decoded output is not all a client might see: DECODE_OK, or
 * DECODE_UNSUPPORTED, DECODE_AMBIGUOUS, DECODE_LAYERS. The chain still
 * decodes what it can; the caller decides what the taint means.
 */
enum decode_status
decode_taint(const struct decode_chain *d)
{
	return d->taint;
}

static enum decode_status decode_push(struct decode_chain *, size_t,
    const unsigned char *, size_t);

/* Size and ratio limits on out bytes made from in bytes. */
static enum decode_status
decode_limits(const struct decode_chain *d, uint64_t in, uint64_t out)
{
	uint64_t	floor = d->limits->max_decoded < DECODE_RATIO_FLOOR ?
	    d->limits->max_decoded : DECODE_RATIO_FLOOR;

	if (out > d->limits->max_decoded)
		return DECODE_LIMIT;
	if (out > floor && in > 0 && out / in > d->limits->max_ratio)
		return DECODE_BOMB;
	return DECODE_OK;
}

/*
 * Pass bytes layer idx produced on to the next inner layer, or to the
 * sink; every layer's output is held to the limits, and so is the whole.
 */
static enum decode_status
decode_emit(struct decode_chain *d, size_t idx, const unsigned char *buf,
    size_t len)
{
	enum decode_status	 st;
	struct layer		*l;

	if (len == 0)
		return DECODE_OK;
	if (d->nlayers > 0) {
		l = &d->layers[idx];
		l->nout += len;
		if ((st = decode_limits(d, l->nin, l->nout)) != DECODE_OK)
			return st;
	}
	if (idx > 0)
		return decode_push(d, idx - 1, buf, len);
	d->out += len;
	if ((st = decode_limits(d, d->in, d->out)) != DECODE_OK)
		return st;
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
inflate_run(struct decode_chain *d, size_t idx, const unsigned char *buf,
    size_t len)
{
	struct layer		*l = &d->layers[idx];
	struct inflate_state	*z = l->isal;
	enum decode_status	 st;
	uint32_t		 in_before;
	size_t			 out;
	int			 full = 0;

	z->next_in = (uint8_t *)buf;
	z->avail_in = (uint32_t)len;
	for (;;) {
		if (l->ended) {
			if (z->avail_in == 0)
				break;
			/*
			 * Concatenated gzip members; anything else after the
			 * end is junk.
			 */
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
		} else if (out == 0 && z->avail_in == in_before &&
		    in_before > 0)
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
	int	wbits = 15 + 16;	/* gzip */

	if (l->coding == C_DEFLATE)
		wbits = inflate_zlib_wrapped(l->head) ? 15 : -15;
	memset(&l->z, 0, sizeof l->z);
	if (inflateInit2(&l->z, wbits) != Z_OK)
		return DECODE_CORRUPT;
	l->started = 1;
	return DECODE_OK;
}

static enum decode_status
inflate_run(struct decode_chain *d, size_t idx, const unsigned char *buf,
    size_t len)
{
	struct layer		*l = &d->layers[idx];
	enum decode_status	 st;
	int			 zr, full = 0;

	l->z.next_in = (unsigned char *)buf;
	l->z.avail_in = (uInt)len;
	for (;;) {
		if (l->ended) {
			if (l->z.avail_in == 0)
				break;
			/*
			 * Concatenated gzip members; anything else after the
			 * end is junk.
			 */
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
		if ((st = decode_emit(d, idx, l->out,
		    DECODE_BUF - l->z.avail_out)) != DECODE_OK)
			return st;
		full = l->z.avail_out == 0;
		if (zr == Z_STREAM_END)
			l->ended = 1;
		else if (zr == Z_BUF_ERROR && l->z.avail_out == DECODE_BUF) {
			/*
			 * No progress: fine once the input is used up, junk if
			 * not.
			 */
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
inflate_feed(struct decode_chain *d, size_t idx, const unsigned char *buf,
    size_t len)
{
	struct layer		*l = &d->layers[idx];
	enum decode_status	 st;
	unsigned char		 head[2];
	size_t			 n;

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
br_feed(struct decode_chain *d, size_t idx, const unsigned char *buf,
    size_t len)
{
	struct layer		*l = &d->layers[idx];
	enum decode_status	 st;
	BrotliDecoderResult	 r;
	size_t			 avail_out;
	unsigned char		*next_out;

	if (l->ended)
		return len > 0 ? DECODE_CORRUPT : DECODE_OK;
	do {
		next_out = l->out;
		avail_out = DECODE_BUF;
		r = BrotliDecoderDecompressStream(l->br, &len, &buf, &avail_out,
		    &next_out, NULL);
		if (r == BROTLI_DECODER_RESULT_ERROR)
			return DECODE_CORRUPT;
		if ((st = decode_emit(d, idx, l->out,
		    DECODE_BUF - avail_out)) != DECODE_OK)
			return st;
		if (r == BROTLI_DECODER_RESULT_SUCCESS) {
			l->ended = 1;
			return len > 0 ? DECODE_CORRUPT : DECODE_OK;
		}
	} while (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT || len > 0);
	return DECODE_OK;
}

static enum decode_status
zstd_feed(struct decode_chain *d, size_t idx, const unsigned char *buf,
    size_t len)
{
	struct layer		*l = &d->layers[idx];
	enum decode_status	 st;
	ZSTD_inBuffer		 in = { buf, len, 0 };
	ZSTD_outBuffer		 out;
	size_t			 r;

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
	d->layers[idx].nin += len;
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
	size_t	i;

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
	case DECODE_AMBIGUOUS:
		return "ambiguous content encoding (clients disagree on it)";
	case DECODE_LAYERS:
		return "too many content encodings";
	default:
		return "inspection failed";
	}
}

void
decode_free(struct decode_chain *d)
{
	size_t		 i;
	struct layer	*l;

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
