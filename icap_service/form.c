/*
 * Text normalisers for uploads, streaming, so that the engines see what
 * the server will see: application/x-www-form-urlencoded ('+' and %XX
 * decoded, one "name=value" per line) and JSON (string escapes, including
 * \uXXXX and surrogate pairs, decoded to UTF-8; everything else as is).
 * State carried across chunks is a few bytes; output goes to a sink in
 * blocks of at most FORM_BUF bytes.
 *
 * Values are often encoded twice: JSON sent as a string inside JSON, JSON
 * or a urlencoded string inside a form field, percent signs encoded again.
 * So the first pass is followed by FORM_DEPTH - 1 passes that undo any
 * %XX, %uXXXX (which IIS and ASP.NET decode) and backslash escape they
 * find, anywhere: each pass peels one layer and the engines see the last.
 * Over-decoding text that was plain can only show the engines more, and
 * the passes keep memory and time linear.
 *
 * Three more kinds serve detection, not the server's view. FORM_TEXT is
 * those later passes alone, for text that says it is neither (JSON with
 * \u escapes sent as text/plain). FORM_URL_VALUES and FORM_JSON_VALUES
 * give the values, one blank apart, and the names and keys after them:
 * digits an uploader spread over four form fields or the elements of a
 * JSON array ("card1=4111&card2=1111..." or {"card":[4111,1111,...]})
 * come out as one number the engines can see whole, and the names that
 * say what it is ("card") right after it, on a line of their own, where
 * the DLP engine looks for its context words. Names wait until a value
 * with other than digits and separators ends the number, or the end.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "svc.h"

#define FORM_BUF	4096
#define FORM_DEPTH	3	/* layers of encoding undone */
#define FORM_NAME_MAX	256	/* a longer form field name counts as a value */
#define FORM_NAMES_MAX	256	/* names held back for after the values */
/* JSON nesting tracked; deeper reads as arrays */
#define FORM_JSON_DEPTH	64

/* FORM_DEEP: the passes after the first (no '+' or '&' rules, no strings). */
enum { FORM_DEEP = FORM_JSON_VALUES + 1 };

struct form {
	enum form_kind	 kind;
	decode_sink	 sink;
	void		*arg;
	unsigned char	 out[FORM_BUF + 8];
	size_t		 nout;
	/* urlencoded: pending '%' and hex digits; JSON: string/escape state */
	char		 pend[8];
	size_t		 npend;
	int		 instr, esc;
	unsigned	 hi;		/* pending high surrogate */
	int		 failed;
	struct form	*next;		/* the next pass, NULL for the last */
	/* values passes */
	/* a blank is owed before the next value */
	int		 blank;
	int		 any;		/* a byte went out */
	int		 invalue;	/* urlencoded: past the field's '=' */
	unsigned char	 name[FORM_NAME_MAX];
	size_t		 nname;
	unsigned char	 names[FORM_NAMES_MAX];	/* held back, blank-separated */
	size_t		 nnames;
	/* the values since the names went out hold more than a number */
	int		 valtext;
	int		 iskey;		/* JSON: the open string is a key */
	int		 wantkey;	/* JSON: a string here would be a key */
	/* JSON: bit n set: level n is an object */
	uint64_t	 objects;
	unsigned	 depth;
};

static int
form_next_sink(void *arg, const void *buf, size_t len)
{
	return form_feed(arg, buf, len);
}

/*
 * A normaliser writing to sink; NULL when out of memory. The caller frees
 * it with form_free.
 */
struct form *
form_new(enum form_kind kind, decode_sink sink, void *arg)
{
	struct form	*f, *next = NULL;
	int		 i;

	for (i = FORM_DEPTH - 1; i >= 0; i--) {
		if ((f = calloc(1, sizeof *f)) == NULL) {
			form_free(next);
			return NULL;
		}
		f->kind = i == 0 && kind != FORM_TEXT ? kind :
		    (enum form_kind)FORM_DEEP;
		f->next = next;
		f->sink = next ? form_next_sink : sink;
		f->arg = next ? (void *)next : arg;
		next = f;
	}
	return next;
}

static int
flush(struct form *f)
{
	if (f->nout > 0 && !f->failed && f->sink(f->arg, f->out, f->nout) != 0)
		f->failed = 1;
	f->nout = 0;
	return f->failed ? -1 : 0;
}

/* A byte of a number as the DLP engine reads one: a digit or separator. */
static int
numeric(unsigned char c)
{
	return (c >= '0' && c <= '9') || c == ' ' || c == '-' || c == '.' ||
	    c == '/' || c == '\t';
}

static int
put(struct form *f, unsigned char c)
{
	/* A values pass: the blank owed to the value before, if any. */
	if (f->blank) {
		f->blank = 0;
		f->out[f->nout++] = ' ';
		if (f->nout >= FORM_BUF && flush(f) != 0)
			return -1;
	}
	f->any = 1;
	if (!numeric(c))
		f->valtext = 1;
	f->out[f->nout++] = c;
	return f->nout >= FORM_BUF ? flush(f) : 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int form_byte(struct form *, unsigned char);
static int put_utf8(struct form *, unsigned);

/*
 * The bytes after a '%': a byte when they are two hex digits, a character
 * for "u" and four, else text. The byte that shows it is no escape is
 * read again, so "%z%41" is "%zA", as servers read it.
 */
static int
pct_byte(struct form *f, unsigned char c)
{
	size_t		i, want;
	unsigned	cp = 0;

	want = f->npend >= 2 && (f->pend[1] == 'u' ||
	    f->pend[1] == 'U') ? 6 : 3;
	if (f->npend == 1 && (c == 'u' || c == 'U')) {
		f->pend[f->npend++] = (char)c;
		return 0;
	}
	if (hexval(c) < 0) {
		for (i = 0; i < f->npend; i++)
			if (put(f, (unsigned char)f->pend[i]) != 0)
				return -1;
		f->npend = 0;
		return form_byte(f, c);
	}
	f->pend[f->npend++] = (char)c;
	if (f->npend < want)
		return 0;
	f->npend = 0;
	if (want == 3)
		return put(f, (unsigned char)(hexval(f->pend[1]) << 4 |
		    hexval(f->pend[2])));
	for (i = 2; i < 6; i++)
		cp = cp << 4 | (unsigned)hexval(f->pend[i]);
	return put_utf8(f, cp);
}

static int
url_byte(struct form *f, unsigned char c)
{
	if (f->npend > 0)
		return pct_byte(f, c);
	switch (c) {
	case '%':
		f->pend[f->npend++] = '%';
		return 0;
	case '+':
		return put(f, ' ');
	case '&':
		return put(f, '\n');
	default:
		return put(f, c);
	}
}

static int
put_utf8(struct form *f, unsigned cp)
{
	unsigned char	b[4];
	size_t		n, i;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = 0xc0 | (cp >> 6);
		b[1] = 0x80 | (cp & 0x3f);
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = 0xe0 | (cp >> 12);
		b[1] = 0x80 | ((cp >> 6) & 0x3f);
		b[2] = 0x80 | (cp & 0x3f);
		n = 3;
	} else {
		b[0] = 0xf0 | (cp >> 18);
		b[1] = 0x80 | ((cp >> 12) & 0x3f);
		b[2] = 0x80 | ((cp >> 6) & 0x3f);
		b[3] = 0x80 | (cp & 0x3f);
		n = 4;
	}
	for (i = 0; i < n; i++)
		if (put(f, b[i]) != 0)
			return -1;
	return 0;
}

static int
json_unicode(struct form *f)
{
	unsigned	cp = 0;
	size_t		i;
	int		v;

	for (i = 1; i < 5; i++) {
		if ((v = hexval(f->pend[i])) < 0)
			return put(f, '?');
		cp = cp << 4 | (unsigned)v;
	}
	if (cp >= 0xd800 && cp < 0xdc00) {
		f->hi = cp;
		return 0;
	}
	if (cp >= 0xdc00 && cp < 0xe000 && f->hi != 0)
		cp = 0x10000 + ((f->hi - 0xd800) << 10) + (cp - 0xdc00);
	f->hi = 0;
	return put_utf8(f, cp);
}

static int
json_escape(struct form *f, unsigned char c)
{
	static const char	 from[] = "\"\\/bfnrt",
	    to[] = "\"\\/\b\f\n\r\t";
	const char		*p;

	if (f->npend > 0) {
		f->pend[f->npend++] = (char)c;
		if (f->npend < 5)
			return 0;
		f->npend = 0;
		f->esc = 0;
		return json_unicode(f);
	}
	if (c == 'u') {
		f->pend[f->npend++] = 'u';
		return 0;
	}
	f->esc = 0;
	if ((p = strchr(from, c)) != NULL && c != '\0')
		return put(f, (unsigned char)to[p - from]);
	return put(f, c);
}

static int
json_byte(struct form *f, unsigned char c)
{
	if (f->esc)
		return json_escape(f, c);
	if (f->instr && c == '\\') {
		f->esc = 1;
		return 0;
	}
	if (c == '"') {
		f->instr = !f->instr;
		f->hi = 0;
	}
	return put(f, c);
}

/* A later pass: a backslash escape or a %XX wherever it is. */
static int
deep_byte(struct form *f, unsigned char c)
{
	if (f->esc)
		return json_escape(f, c);
	if (f->npend > 0)
		return pct_byte(f, c);
	if (c == '\\') {
		f->esc = 1;
		return 0;
	}
	if (c == '%') {
		f->pend[f->npend++] = '%';
		return 0;
	}
	return put(f, c);
}

/*
 * One blank between two values: owed after a value, written before the
 * next, so never two in a row and none at either end (a number followed
 * by a separator is not a number to every engine).
 */
static int
put_blank(struct form *f)
{
	f->blank = f->any;
	return 0;
}

/*
 * The names held back, on a line of their own after the values they
 * named; nothing is owed before the next value, so that a name ending in
 * a digit does not run into it.
 */
static int
flush_names(struct form *f)
{
	size_t	i;

	if (f->nnames == 0)
		return 0;
	f->blank = 0;
	if (put(f, '\n') != 0)
		return -1;
	for (i = 0; i < f->nnames; i++)
		if (put(f, f->names[i]) != 0)
			return -1;
	f->nnames = 0;
	if (put(f, '\n') != 0)
		return -1;
	f->blank = 0;
	f->any = 0;
	f->valtext = 0;
	return 0;
}

/* Hold a name back for after its values (see flush_names). */
static int
defer_name(struct form *f, const unsigned char *p, size_t n)
{
	if (n == 0)
		return 0;
	if (f->nnames + n + 1 > sizeof f->names && flush_names(f) != 0)
		return -1;
	if (n + 1 > sizeof f->names)
		n = sizeof f->names - 1;
	if (f->nnames > 0)
		f->names[f->nnames++] = ' ';
	memcpy(f->names + f->nnames, p, n);
	f->nnames += n;
	return 0;
}

/* A value ended: its names go out once a value was more than a number. */
static int
value_end(struct form *f)
{
	if (f->valtext && flush_names(f) != 0)
		return -1;
	f->valtext = 0;
	return put_blank(f);
}

/*
 * The urlencoded values pass: a name is held until its '=' (then dropped)
 * or its '&' (a field without a value: the name is what the application
 * gets, so it counts as one); the value is decoded as the first pass does.
 * ';' ends a field too, as older servers read it (Perl's CGI, Python's
 * parse_qs before 3.9.2): splitting more only shows more values.
 */
static int
urlv_byte(struct form *f, unsigned char c)
{
	size_t	i;

	if (c == '&' || c == ';') {
		if (f->npend > 0) {
			for (i = 0; i < f->npend; i++)
				if (put(f, (unsigned char)f->pend[i]) != 0)
					return -1;
			f->npend = 0;
		}
		for (i = 0; !f->invalue && i < f->nname; i++)
			if (put(f, f->name[i]) != 0)
				return -1;
		f->nname = 0;
		f->invalue = 0;
		return value_end(f);
	}
	if (!f->invalue) {
		if (c == '=') {
			f->invalue = 1;
			if (defer_name(f, f->name, f->nname) != 0)
				return -1;
			f->nname = 0;
			return 0;
		}
		if (f->nname < sizeof f->name) {
			f->name[f->nname++] = c;
			return 0;
		}
		/* Too long for a name: a value after all. */
		f->invalue = 1;
		for (i = 0; i < f->nname; i++)
			if (put(f, f->name[i]) != 0)
				return -1;
		f->nname = 0;
	}
	if (f->npend > 0)
		return pct_byte(f, c);
	if (c == '%') {
		f->pend[f->npend++] = '%';
		return 0;
	}
	return put(f, c == '+' ? ' ' : c);
}

/*
 * The JSON values pass: strings that are values (decoded), numbers and
 * literals; keys and structure dropped, a blank after each value.
 */
static int
jsonv_byte(struct form *f, unsigned char c)
{
	if (f->instr) {
		if (f->esc) {
			if (f->iskey) {
				/*
				 * An escape in a key: its byte is kept as is.
				 */
				f->esc = 0;
				if (f->nname < sizeof f->name)
					f->name[f->nname++] = c;
				return 0;
			}
			return json_escape(f, c);
		}
		if (c == '\\') {
			f->esc = 1;
			return 0;
		}
		if (c == '"') {
			f->instr = 0;
			f->hi = 0;
			if (f->iskey) {
				f->nname = f->nname < sizeof f->name ?
				    f->nname :
				    sizeof f->name;
				if (defer_name(f, f->name, f->nname) != 0)
					return -1;
				f->nname = 0;
				return 0;
			}
			return value_end(f);
		}
		if (f->iskey) {
			if (f->nname < sizeof f->name)
				f->name[f->nname++] = c;
			return 0;
		}
		return put(f, c);
	}
	switch (c) {
	case '"':
		f->instr = 1;
		f->iskey = f->wantkey;
		return 0;
	case '{':
	case '[':
		if (f->depth < FORM_JSON_DEPTH) {
			if (c == '{')
				f->objects |= (uint64_t)1 << f->depth;
			else
				f->objects &= ~((uint64_t)1 << f->depth);
		}
		f->depth++;
		f->wantkey = c == '{';
		return value_end(f);
	case '}':
	case ']':
		if (f->depth > 0)
			f->depth--;
		f->wantkey = 0;
		return value_end(f);
	case ',':
		f->wantkey = f->depth > 0 && f->depth <= FORM_JSON_DEPTH &&
		    (f->objects >> (f->depth - 1) & 1);
		return value_end(f);
	case ':':
		f->wantkey = 0;
		return value_end(f);
	case ' ':
	case '\t':
	case '\r':
	case '\n':
		return value_end(f);
	default:
		return put(f, c);
	}
}

/* One byte, by the pass's kind. */
static int
form_byte(struct form *f, unsigned char c)
{
	switch ((int)f->kind) {
	case FORM_URLENCODED:
		return url_byte(f, c);
	case FORM_JSON:
		return json_byte(f, c);
	case FORM_URL_VALUES:
		return urlv_byte(f, c);
	case FORM_JSON_VALUES:
		return jsonv_byte(f, c);
	default:
		return deep_byte(f, c);
	}
}

/* Bytes with a meaning of their own in a later pass; the rest is copied. */
static const char deep_specials[] = "%\\";

/*
 * A run of plain bytes: one of a whole block or more goes to the sink as it
 * is, so that text with nothing to undo costs a scan and no copy in every
 * pass. Shorter runs are gathered into blocks: every call of the sink is a
 * streaming scan call, which costs as much as scanning a few hundred bytes
 * (random bytes have a special every 128 bytes or so).
 */
static int
put_run(struct form *f, const unsigned char *p, size_t n)
{
	size_t	k;

	if (n >= FORM_BUF) {
		if (flush(f) != 0)
			return -1;
		if (f->sink(f->arg, p, n) != 0)
			f->failed = 1;
		return f->failed ? -1 : 0;
	}
	while (n > 0) {
		k = FORM_BUF - f->nout < n ? FORM_BUF - f->nout : n;
		memcpy(f->out + f->nout, p, k);
		f->nout += k;
		p += k;
		n -= k;
		if (f->nout >= FORM_BUF && flush(f) != 0)
			return -1;
	}
	return 0;
}

/*
 * A later pass. Escapes are rare here, so plain runs are found with
 * memchr, one search per special byte, each remembered until passed: the
 * scan stays linear however the specials are spread.
 */
static int
deep_feed(struct form *f, const unsigned char *p, size_t len)
{
	const unsigned char	*next[2] = { NULL, NULL }, *end;
	size_t			 i = 0, k;
	int			 rc = 0;

	while (i < len && rc == 0) {
		if (f->npend == 0 && !f->esc) {
			end = p + len;
			for (k = 0; k < 2; k++) {
				if (next[k] == NULL || next[k] < p + i) {
					next[k] = memchr(p + i,
					    deep_specials[k], len - i);
					if (next[k] == NULL)
						next[k] = p + len;
				}
				if (next[k] < end)
					end = next[k];
			}
			if (end > p + i) {
				rc = put_run(f, p + i, (size_t)(end - (p + i)));
				i = (size_t)(end - p);
				continue;
			}
		}
		rc = deep_byte(f, p[i++]);
	}
	return rc;
}

/* Bytes the JSON first pass must look at; runs of the others are copied. */
static const unsigned char json_specials[256] = { ['"'] = 1, ['\\'] = 1 };

/* Hex digit value + 1; 0 for other bytes. */
static const unsigned char hex1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6,
	['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16
};

/*
 * The urlencoded first pass. '+' and '&' come every few bytes, too often
 * to stop at: the bytes between two '%' are copied with those two
 * translated, a loop without branches. A whole %XX is decoded in place;
 * one cut by the chunk's end goes through url_byte's state.
 */
static int
url_feed(struct form *f, const unsigned char *p, size_t len)
{
	const unsigned char	*pct;
	unsigned char		 c, *o;
	size_t			 i = 0, n, k, j;

	while (i < len) {
		if (f->npend > 0 || (p[i] == '%' && (len - i < 3 ||
		    !hex1[p[i + 1]] || !hex1[p[i + 2]]))) {
			if (url_byte(f, p[i++]) != 0)
				return -1;
			continue;
		}
		if (p[i] == '%') {
			if (put(f, (unsigned char)((hex1[p[i + 1]] - 1) << 4 |
			    (hex1[p[i + 2]] - 1))) != 0)
				return -1;
			i += 3;
			continue;
		}
		pct = memchr(p + i, '%', len - i);
		n = pct != NULL ? (size_t)(pct - (p + i)) : len - i;
		while (n > 0) {
			k = FORM_BUF - f->nout < n ? FORM_BUF - f->nout : n;
			o = f->out + f->nout;
			for (j = 0; j < k; j++) {
				c = p[i + j];
				o[j] = c == '+' ? ' ' : c == '&' ? '\n' : c;
			}
			f->nout += k;
			i += k;
			n -= k;
			if (f->nout >= FORM_BUF && flush(f) != 0)
				return -1;
		}
	}
	return 0;
}

/*
 * The JSON first pass. Quotes come every few bytes, too often for one
 * memchr per special, so a table finds the end of each plain run and the
 * run is copied at once.
 */
static int
json_feed(struct form *f, const unsigned char *p, size_t len)
{
	size_t	i = 0, j;
	int	rc = 0;

	while (i < len && rc == 0) {
		if (f->npend == 0 && !f->esc) {
			for (j = i; j < len && !json_specials[p[j]]; j++)
				;
			if (j > i) {
				rc = put_run(f, p + i, j - i);
				i = j;
				continue;
			}
		}
		rc = json_byte(f, p[i++]);
	}
	return rc;
}

/* A values pass, byte by byte: they feed the DLP engine alone. */
static int
values_feed(struct form *f, const unsigned char *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (form_byte(f, p[i]) != 0)
			return -1;
	return 0;
}

/* Feed raw text; 0, or -1 once the sink failed. */
int
form_feed(struct form *f, const void *buf, size_t len)
{
	switch ((int)f->kind) {
	case FORM_URLENCODED:
		return url_feed(f, buf, len);
	case FORM_JSON:
		return json_feed(f, buf, len);
	case FORM_URL_VALUES:
	case FORM_JSON_VALUES:
		return values_feed(f, buf, len);
	default:
		return deep_feed(f, buf, len);
	}
}

/*
 * Flush what is pending, pass after pass (an incomplete escape is passed
 * through as text); 0, or -1 if the sink failed.
 */
int
form_finish(struct form *f)
{
	size_t	i;
	int	rc;

	if (f->esc && f->npend == 0 && !f->iskey)
		put(f, '\\');
	for (i = 0; i < f->npend && !f->iskey; i++)
		put(f, (unsigned char)f->pend[i]);
	/* A last form field without '=': its name is its value. */
	for (i = 0; f->kind == FORM_URL_VALUES && !f->invalue && i < f->nname;
	    i++)
		put(f, f->name[i]);
	f->nname = 0;
	flush_names(f);
	f->npend = 0;
	f->esc = 0;
	rc = flush(f);
	if (f->next != NULL && form_finish(f->next) != 0)
		rc = -1;
	return rc;
}

void
form_free(struct form *f)
{
	struct form	*next;

	for (; f != NULL; f = next) {
		next = f->next;
		free(f);
	}
}
