/*
 * UTF-16 to UTF-8 for DLP. A text in UTF-16 (a byte order mark, or ASCII
 * with zero bytes beside it) is converted whole; a binary (legacy Office
 * files, unknown formats) gives the runs of UTF-16LE text inside it, as
 * strings(1) -el does: four or more characters (letters, digits, spaces,
 * punctuation, full-width digits), one run per line. Streaming: a code
 * unit split between two chunks is kept.
 */
#include "config.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "text.h"

#define TEXT_UTF16_MINRUN	4

void
text_utf16_init(struct text_utf16 *t, enum text_utf16_mode mode)
{
	memset(t, 0, sizeof *t);
	t->mode = mode;
}

static int
text_utf16_flush(struct text_utf16 *t, text_sink sink, void *arg)
{
	int	rc = 0;

	if (t->nout > 0)
		rc = sink(arg, t->out, t->nout);
	t->nout = 0;
	return rc;
}

static int
text_utf16_put(struct text_utf16 *t, const char *p, size_t n, text_sink sink,
    void *arg)
{
	if (t->nout + n > sizeof t->out && text_utf16_flush(t, sink, arg) != 0)
		return -1;
	memcpy(t->out + t->nout, p, n);
	t->nout += n;
	return 0;
}

/* Code point c as UTF-8 into b; returns the length. */
static size_t
text_utf16_utf8(unsigned c, char *b)
{
	if (c < 0x80) {
		b[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		b[0] = (char)(0xc0 | c >> 6);
		b[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		b[0] = (char)(0xe0 | c >> 12);
		b[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		b[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	b[0] = (char)(0xf0 | c >> 18);
	b[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	b[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	b[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* A text: every code unit, surrogate pairs joined, lone ones as U+FFFD. */
static int
text_utf16_text(struct text_utf16 *t, unsigned u, text_sink sink, void *arg)
{
	char	b[4];
	size_t	n;

	if (u >= 0xd800 && u < 0xdc00) {
		t->high = u;
		return 0;
	}
	if (u >= 0xdc00 && u < 0xe000) {
		u = t->high != 0 ? 0x10000 + ((t->high - 0xd800) << 10) +
		    (u - 0xdc00) : 0xfffd;
	} else if (t->high != 0) {
		n = text_utf16_utf8(0xfffd, b);
		if (text_utf16_put(t, b, n, sink, arg) != 0)
			return -1;
	}
	t->high = 0;
	if (u == 0xfeff)	/* byte order mark */
		return 0;
	n = text_utf16_utf8(u, b);
	return text_utf16_put(t, b, n, sink, arg);
}

/* What strings keep: ASCII text and the digits and spaces DLP reads. */
static bool
text_utf16_printable(unsigned u)
{
	return ((u >= 0x20 && u < 0x7f) || u == '\t' || u == 0xa0 ||
	    (u >= 0xff10 && u <= 0xff19) || u == 0x3000);
}

/* Strings: runs of TEXT_UTF16_MINRUN or more printable units. */
static int
text_utf16_strings(struct text_utf16 *t, unsigned u, text_sink sink,
    void *arg)
{
	char	b[4];
	size_t	n;

	if (!text_utf16_printable(u)) {
		t->nrun = 0;
		if (t->in_run) {
			t->in_run = false;
			return text_utf16_put(t, "\n", 1, sink, arg);
		}
		return 0;
	}
	n = text_utf16_utf8(u, b);
	if (t->in_run)
		return text_utf16_put(t, b, n, sink, arg);
	if (t->nrun + n > sizeof t->run)
		t->nrun = 0;
	memcpy(t->run + t->nrun, b, n);
	t->nrun += n;
	if (t->nrun < TEXT_UTF16_MINRUN)
		return 0;
	t->in_run = true;
	n = t->nrun;
	t->nrun = 0;
	return text_utf16_put(t, t->run, n, sink, arg);
}

/*
 * Strings, outside a run: the offset of the first whole unit at or after
 * i whose high byte could make it printable (0x00, 0xff or 0x30), or the
 * offset of the last whole unit's end. Binary is mostly such units, and
 * looking at them one by one through text_utf16_strings was most of the
 * time spent on a binary upload; skipping them has the same output, since
 * an unprintable unit outside a run only clears the run so far.
 */
static size_t
text_utf16_skip(const unsigned char *p, size_t i, size_t len)
{
#ifdef __SSE2__
	const __m128i	z = _mm_setzero_si128();
	const __m128i	ff = _mm_set1_epi8((char)0xff);
	const __m128i	x30 = _mm_set1_epi8(0x30);
	__m128i		v, m;
	int		bits;

	for (; i + 16 <= len; i += 16) {
		v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, z),
		    _mm_cmpeq_epi8(v, ff)), _mm_cmpeq_epi8(v, x30));
		/* the high bytes of little-endian units: odd offsets */
		bits = _mm_movemask_epi8(m) & 0xaaaa;
		if (bits != 0)
			return i + (size_t)(__builtin_ctz((unsigned)bits) & ~1);
	}
#endif
	for (; i + 1 < len; i += 2)
		if (p[i + 1] == 0x00 || p[i + 1] == 0xff || p[i + 1] == 0x30)
			break;
	return i;
}

/* Convert the next bytes; 0, or -1 when the sink stopped. */
int
text_utf16_feed(struct text_utf16 *t, const void *buf, size_t len,
    text_sink sink, void *arg)
{
	const unsigned char	*p = buf;
	unsigned		 u, a, b;
	size_t			 i = 0, j;
	int			 rc;

	while (i < len) {
		if (t->mode == TEXT_UTF16_STRINGS && !t->in_run &&
		    !t->have_odd) {
			j = text_utf16_skip(p, i, len);
			if (j != i) {
				t->nrun = 0;
				i = j;
				continue;
			}
		}
		if (t->have_odd) {
			a = t->odd;
			b = p[i++];
			t->have_odd = false;
		} else if (i + 1 < len) {
			a = p[i];
			b = p[i + 1];
			i += 2;
		} else {
			t->odd = p[i++];
			t->have_odd = true;
			break;
		}
		u = t->mode == TEXT_UTF16_BE ? a << 8 | b : b << 8 | a;
		rc = t->mode == TEXT_UTF16_STRINGS ?
		    text_utf16_strings(t, u, sink, arg) :
		    text_utf16_text(t, u, sink, arg);
		if (rc != 0)
			return -1;
	}
	return 0;
}

int
text_utf16_end(struct text_utf16 *t, text_sink sink, void *arg)
{
	return text_utf16_flush(t, sink, arg);
}
