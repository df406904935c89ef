/*
 * DLP matching with Vectorscan in streaming mode: every pattern runs in one
 * pass over each decoded chunk, and the stream state carries partial
 * matches across chunk boundaries, so nothing is rescanned. A hit only says
 * "look here"; the validators decide, on the bytes around the hit, which
 * come from the current chunk or from the short history kept of the
 * previous ones.
 *
 * A scan has up to two streams: the body's own bytes and the text the
 * engines extracted from it (office documents, PDF, UTF-16); a number
 * seen in both, or twice, counts once. Numbers are counted by value across
 * the whole tree of one body (the body, its archive members, their text),
 * so thresholds mean distinct numbers.
 */
#include "config.h"

#include <hs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cause.h"
#include "dlp.h"
#include "engine_int.h"

enum {
	DLP_ID_RUN = 1,
	DLP_ID_RUN_WIDE,
	DLP_ID_SSN_CONTEXT,
	DLP_ID_SSN_CONTEXT_CS,
	DLP_ID_SSN_KEYED,
	DLP_ID_CARD_CONTEXT,
	DLP_ID_IBAN,
	DLP_ID_DICT = 1000	/* + index of the dictionary term */
};

#define DLP_HIST		256	/* bytes of earlier chunks kept */
#define DLP_WIN_SHORT		64	/* first look back from a run's end */
#define DLP_SSN_NEAR		100	/* context word to SSN distance */
#define DLP_CARD_NEAR		100	/* context word to card distance */
#define DLP_SSN_PENDING		8
#define DLP_WEAK_MAX		64	/* cards waiting for context */
#define DLP_RUN_CARDS		16
#define DLP_RUN_SSNS		8
#define DLP_IBAN_PENDING	8
#define DLP_IBAN_SPAN		(DLP_IBAN_MAX + 8 + 1)	/* separators, next */
#define DLP_SEEN_SLOTS		256
#define DLP_SEV_CARD		4
#define DLP_SEV_SSN		4
#define DLP_SEV_IBAN		3

/* The bytes a run of digits and separators is made of (dlp_card.c reads
 * them precisely): ASCII digits and separators, and the bytes of the
 * full-width digits and separators and of the no-break spaces. */
#define DLP_RUN_CLASS	"0-9 \\t./\\-\\x80\\x87\\x89\\x8d-\\x8f\\x90-\\x99" \
	"\\xa0\\xaf\\xbc\\xc2\\xe2\\xe3\\xef"

/*
 * The built-in patterns. A hit only marks where a candidate ends; the
 * validators find its extent in the bytes before and decide.
 *
 * Cards and SSNs: one pattern for the end of any run of 11 or more ASCII
 * digits and separators, reported once, at the first byte after the run
 * (or at the end of the body); the card and SSN validators split that run
 * into groups and look for every card and SSN layout in it. Exact shapes
 * as patterns cost twice as much on text with many numbers. Runs with
 * full-width digits or no-break spaces in them have a pattern of their
 * own, which those rare characters trigger; a mixed run may be looked at
 * twice, and a number counts once.
 *
 * Context words: a card counts with one of them within 100 bytes, before
 * or after, or with an expiry date after it, or if the body holds enough
 * other cards (dlp_corroborate); its digits alone are no evidence, as
 * random identifiers pass the checks too. An SSN always needs one. The
 * camel-case SSN keys of JSON (customerSsn, ssnNumber) need their own
 * case-sensitive pattern. Card context words are literals, without word
 * boundaries: short words with boundaries ("pan" inside every "<span>") cost
 * more than all the other patterns together.
 *
 * A long IBAN-shaped pattern costs twice as much as all the others
 * together, so IBANs are matched by their head and validated when the
 * bytes after it have arrived (dlp_iban_flush).
 */
static const struct {
	const char	*re;
	unsigned	 id;
	unsigned	 flags;
} dlp_builtin[] = {
	{ "[0-9][0-9 \\t./-]{10,}(?:[^0-9 \\t./-]|$)", DLP_ID_RUN, 0 },
	{ "[0-9\\xef][" DLP_RUN_CLASS "]*(?:\\xc2\\xa0|\\xef\\xbc[\\x8d-\\x99]|"
	    "\\xe2\\x80[\\x87\\x89\\xaf]|\\xe3\\x80\\x80)[" DLP_RUN_CLASS "]*"
	    "(?:[^" DLP_RUN_CLASS "]|$)", DLP_ID_RUN_WIDE, 0 },
	{ "(?:^|[^a-z])ssns?(?:[^a-z]|$)|social[ _-]?security|"
	    "\\bsoc\\.? ?sec\\b|\\bss ?#", DLP_ID_SSN_CONTEXT,
	    HS_FLAG_CASELESS },
	{ "[a-z](?:Ssn|SSN)|(?:ssn|Ssn|SSN)[A-Z]", DLP_ID_SSN_CONTEXT_CS, 0 },
	/* A solid SSN needs its key right before it. */
	{ "(?:ssn|social[ _-]?security)[^0-9\\n]{0,30}[0-9]{9}(?:[^0-9]|$)",
	    DLP_ID_SSN_KEYED, HS_FLAG_CASELESS },
	{ "card|visa|amex|american express|discover|diners|jcb|unionpay|"
	    "maestro|cvv|cvc|expir|exp[ _.:/=-]|valid thru|ccn|cc ?#|"
	    "cc[ _-]?no\\b|cc[ _-]?num|payment|\"pan\"|'pan'|[^a-z]pan[=:]|"
	    "karte|carte|tarjeta|cart\\xc3\\xa3o|carta di credito|"
	/* Japanese: card */
	    "\\xe3\\x82\\xab\\xe3\\x83\\xbc\\xe3\\x83\\x89|"
	/* Chinese: card number */
	    "\\xe5\\x8d\\xa1\\xe5\\x8f\\xb7|"
	/* Chinese: credit card */
	    "\\xe4\\xbf\\xa1\\xe7\\x94\\xa8\\xe5\\x8d\\xa1",
	    DLP_ID_CARD_CONTEXT, HS_FLAG_CASELESS },
	/* Only the head of an IBAN: the rest is read once it has arrived. */
	{ "[A-Za-z]{2}[0-9]{2}[ -]?[A-Za-z0-9]{4}", DLP_ID_IBAN, 0 },
};
#define DLP_NBUILTIN	(sizeof dlp_builtin / sizeof dlp_builtin[0])

/*
 * A Vectorscan scratch, which a scan borrows for its duration and returns
 * to an idle list, so a body costs no clone once the threads have warmed
 * up; the list never holds more than the highest number of concurrent
 * scans.
 */
struct dlp_slot {
	hs_scratch_t		*scratch;
	struct dlp_slot		*next;
};

struct dlp_db {
	hs_database_t		 *hs;
	hs_scratch_t		 *scratch;	/* prototype, cloned per slot */
	pthread_mutex_t		  lock;		/* guards idle */
	struct dlp_slot		 *idle;
	struct dlp_dict		 *dicts;
	size_t			  ndicts;
	const struct dlp_term	**terms;	/* all dictionary terms */
	size_t			 *term_dict;	/* term index -> dictionary */
	size_t			  nterms;
};

/* Hashes of the numbers counted in one body's tree (0 = empty slot). */
struct dlp_seen {
	uint64_t	slot[DLP_SEEN_SLOTS];
	size_t		n;
};

struct dlp_ssn_pending {
	uint64_t	end;
	char		digits[10];
};

/* A valid card not counted yet: counted if a context word follows within
 * reach, or at the end if the body holds enough other cards. */
struct dlp_weak {
	uint64_t	hash;
	uint64_t	end;
	unsigned char	stream;
	bool		counted;
	char		sample[ENGINE_SAMPLE_MAX];
};

struct dlp_scan;

/* One stream of bytes: the Vectorscan stream and what its hits need. */
struct dlp_stream {
	struct dlp_scan		*scan;
	unsigned		 kind;
	hs_stream_t		*hs;
	const unsigned char	*chunk;		/* being scanned */
	size_t			 chunklen;
	uint64_t		 base;		/* stream offset of chunk */
	unsigned char		 hist[DLP_HIST];	/* ends at base */
	size_t			 hlen;
	bool			 closing;	/* end-anchored hits now */

	/* end of the last one, 0: none */
	uint64_t		 card_context;
	uint64_t		 ssn_context;
	struct dlp_ssn_pending	 pending[DLP_SSN_PENDING];
	size_t			 npending;
	/* starts */
	uint64_t		 iban_pending[DLP_IBAN_PENDING];
	size_t			 npending_iban;
};

struct dlp_scan {
	struct dlp_db		*db;
	struct dlp_slot		*slot;
	struct dlp_stream	 streams[DLP_NSTREAMS];
	struct dlp_seen		**seen;		/* shared by the tree */
	struct dlp_seen		*own_seen;

	unsigned		 ncard, nssn, niban;
	char			 card_sample[ENGINE_SAMPLE_MAX];
	char			 ssn_sample[ENGINE_SAMPLE_MAX];
	char			 iban_sample[ENGINE_SAMPLE_MAX];
	/* occurrences */
	unsigned		 card_shaped, card_valid;
	struct dlp_weak		 weak[DLP_WEAK_MAX];
	size_t			 nweak;
	unsigned		 weak_lost;	/* valid, not kept in weak[] */

	bool			*dict_on;
	unsigned		*dict_count;
	const struct dlp_term	**dict_first;
	uint64_t		*term_last;
};

static bool
dlp_isdigit(int c)
{
	return c >= '0' && c <= '9';
}

static bool
dlp_isalnum(int c)
{
	return (dlp_isdigit(c) || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'));
}

/* The bytes of DLP_RUN_CLASS, for walking back over a run. */
static const unsigned char dlp_run_bytes[256] = {
	['\t'] = 1, [' '] = 1, ['-'] = 1, ['.'] = 1, ['/'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
	['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	[0x80] = 1, [0x87] = 1, [0x89] = 1, [0x8d] = 1, [0x8e] = 1,
	[0x8f] = 1, [0x90] = 1, [0x91] = 1, [0x92] = 1, [0x93] = 1,
	[0x94] = 1, [0x95] = 1, [0x96] = 1, [0x97] = 1, [0x98] = 1,
	[0x99] = 1, [0xa0] = 1, [0xaf] = 1, [0xbc] = 1, [0xc2] = 1,
	[0xe2] = 1, [0xe3] = 1, [0xef] = 1,
};

/* Compile the built-ins and every dictionary term into one stream database. */
static int
dlp_db_compile(struct dlp_db *db, char **cause)
{
	const char		**res = NULL;
	unsigned		 *flags = NULL, *ids = NULL;
	char			**owned = NULL;
	hs_compile_error_t	 *err = NULL;
	size_t			  i, n = DLP_NBUILTIN + db->nterms, t;
	int			  rc = -1;

	res = calloc(n, sizeof *res);
	flags = calloc(n, sizeof *flags);
	ids = calloc(n, sizeof *ids);
	owned = calloc(n, sizeof *owned);
	if (res == NULL || flags == NULL || ids == NULL || owned == NULL) {
		cause_set(cause, "out of memory");
		goto out;
	}
	for (i = 0; i < DLP_NBUILTIN; i++) {
		res[i] = dlp_builtin[i].re;
		flags[i] = dlp_builtin[i].flags;
		ids[i] = dlp_builtin[i].id;
	}
	for (t = 0; t < db->nterms; t++, i++) {
		owned[i] = dlp_dict_regex(db->terms[t]);
		if (owned[i] == NULL) {
			cause_set(cause, "out of memory");
			goto out;
		}
		res[i] = owned[i];
		flags[i] = db->terms[t]->kind == DLP_TERM_KEYWORD ?
		    HS_FLAG_CASELESS : 0;
		ids[i] = DLP_ID_DICT + (unsigned)t;
	}
	if (hs_compile_multi(res, flags, ids, (unsigned)n, HS_MODE_STREAM,
	    NULL, &db->hs, &err) != HS_SUCCESS) {
		if (err != NULL && err->expression >= (int)DLP_NBUILTIN) {
			t = (size_t)err->expression - DLP_NBUILTIN;
			cause_set(cause, "dictionary %s: \"%s\": %s",
			    db->dicts[db->term_dict[t]].name,
			    db->terms[t]->text, err->message);
		} else
			cause_set(cause, "vectorscan: %s",
			    err != NULL ? err->message : "compile failed");
		goto out;
	}
	if (hs_alloc_scratch(db->hs, &db->scratch) != HS_SUCCESS) {
		cause_set(cause, "vectorscan: cannot allocate scratch");
		goto out;
	}
	rc = 0;
out:
	if (err != NULL)
		hs_free_compile_error(err);
	for (i = 0; owned != NULL && i < n; i++)
		free(owned[i]);
	free(owned);
	free(ids);
	free(flags);
	free(res);
	return rc;
}

/*
 * Load the dictionaries (dictionary_dir may be NULL) and compile the
 * database. Returns it, or NULL with *cause; free with dlp_db_free.
 */
struct dlp_db *
dlp_db_load(const char *dictionary_dir, char **cause)
{
	struct dlp_db	*db;
	size_t		 d, t, k;

	if ((db = calloc(1, sizeof *db)) == NULL) {
		cause_set(cause, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&db->lock, NULL);
	if (dictionary_dir != NULL && *dictionary_dir != '\0' &&
	    dlp_dict_load_dir(dictionary_dir, &db->dicts, &db->ndicts,
	    cause) != 0)
		goto fail;
	for (d = 0; d < db->ndicts; d++)
		db->nterms += db->dicts[d].nterms;
	db->terms = calloc(db->nterms + 1, sizeof *db->terms);
	db->term_dict = calloc(db->nterms + 1, sizeof *db->term_dict);
	if (db->terms == NULL || db->term_dict == NULL) {
		cause_set(cause, "out of memory");
		goto fail;
	}
	for (d = 0, k = 0; d < db->ndicts; d++) {
		for (t = 0; t < db->dicts[d].nterms; t++, k++) {
			db->terms[k] = &db->dicts[d].terms[t];
			db->term_dict[k] = d;
		}
	}
	if (dlp_db_compile(db, cause) != 0)
		goto fail;
	return db;
fail:
	dlp_db_free(db);
	return NULL;
}

void
dlp_db_free(struct dlp_db *db)
{
	struct dlp_slot	*slot;

	if (db == NULL)
		return;
	while ((slot = db->idle) != NULL) {
		db->idle = slot->next;
		hs_free_scratch(slot->scratch);
		free(slot);
	}
	pthread_mutex_destroy(&db->lock);
	if (db->scratch != NULL)
		hs_free_scratch(db->scratch);
	if (db->hs != NULL)
		hs_free_database(db->hs);
	dlp_dict_free(db->dicts, db->ndicts);
	free(db->terms);
	free(db->term_dict);
	free(db);
}

size_t
dlp_db_ndicts(const struct dlp_db *db)
{
	return db->ndicts;
}

struct dlp_seen *
dlp_seen_new(void)
{
	return calloc(1, sizeof (struct dlp_seen));
}

void
dlp_seen_free(struct dlp_seen *seen)
{
	free(seen);
}

static uint64_t
dlp_hash(char kind, const char *s, size_t n)
{
	uint64_t	h = 0xcbf29ce484222325ULL;
	size_t		i;

	h = (h ^ (unsigned char)kind) * 0x100000001b3ULL;
	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return h == 0 ? 1 : h;
}

/*
 * Note a number as counted; true when it was not counted before in this
 * tree. A full table (a body with hundreds of numbers) counts everything.
 */
static bool
dlp_seen_add(struct dlp_scan *s, uint64_t h)
{
	struct dlp_seen	*seen;
	size_t		 i;

	if (*s->seen == NULL && (*s->seen = dlp_seen_new()) == NULL)
		return true;
	seen = *s->seen;
	if (seen->n * 4 >= DLP_SEEN_SLOTS * 3)
		return true;
	for (i = (size_t)h % DLP_SEEN_SLOTS; seen->slot[i] != 0;
	    i = (i + 1) % DLP_SEEN_SLOTS) {
		if (seen->slot[i] == h)
			return false;
	}
	seen->slot[i] = h;
	seen->n++;
	return true;
}

static bool
dlp_seen_has(const struct dlp_scan *s, uint64_t h)
{
	const struct dlp_seen	*seen = *s->seen;
	size_t			 i;

	if (seen == NULL)
		return false;
	for (i = (size_t)h % DLP_SEEN_SLOTS; seen->slot[i] != 0;
	    i = (i + 1) % DLP_SEEN_SLOTS) {
		if (seen->slot[i] == h)
			return true;
	}
	return false;
}

/*
 * Copy the (at most want) bytes that end at stream offset to into buf.
 * Returns how many; *at_start tells whether they begin the stream.
 */
static size_t
dlp_window(const struct dlp_stream *st, uint64_t to, size_t want, char *buf,
    bool *at_start)
{
	size_t		in_chunk, from_hist, n;
	uint64_t	first;

	if (to < st->base)
		to = st->base;
	in_chunk = (size_t)(to - st->base);
	if (in_chunk > st->chunklen)
		in_chunk = st->chunklen;
	if (in_chunk >= want) {
		memcpy(buf, st->chunk + in_chunk - want, want);
		*at_start = (to == want);
		return want;
	}
	from_hist = want - in_chunk;
	if (from_hist > st->hlen)
		from_hist = st->hlen;
	memcpy(buf, st->hist + st->hlen - from_hist, from_hist);
	if (in_chunk > 0)
		memcpy(buf + from_hist, st->chunk, in_chunk);
	n = from_hist + in_chunk;
	first = st->base - from_hist;
	*at_start = (first == 0);
	return n;
}

static void
dlp_count_card(struct dlp_scan *s, uint64_t h, const char *sample)
{
	if (!dlp_seen_add(s, h))
		return;
	if (s->ncard++ == 0)
		snprintf(s->card_sample, sizeof s->card_sample, "%s", sample);
}

/* A valid card: counted now, or kept until context or the end decides. */
static void
dlp_card_hit(struct dlp_stream *st, const struct dlp_card *c, uint64_t end)
{
	struct dlp_scan	*s = st->scan;
	struct dlp_weak	*w;
	char		 mask[32];
	uint64_t	 h = dlp_hash('C', c->digits, c->ndigits);
	size_t		 i;

	dlp_mask(c->digits, c->ndigits, 0, 4, mask, sizeof mask);
	if (c->expiry || (st->card_context != 0 &&
	    end - st->card_context <= DLP_CARD_NEAR +
	    DLP_CARD_DIGITS_MAX * 4)) {
		dlp_count_card(s, h, mask);
		return;
	}
	if (dlp_seen_has(s, h))
		return;
	for (i = 0; i < s->nweak; i++) {
		if (s->weak[i].hash == h) {
			s->weak[i].end = end;
			s->weak[i].stream = (unsigned char)st->kind;
			return;
		}
	}
	if (s->nweak == DLP_WEAK_MAX) {
		s->weak_lost++;
		return;
	}
	w = &s->weak[s->nweak++];
	w->hash = h;
	w->end = end;
	w->stream = (unsigned char)st->kind;
	w->counted = false;
	snprintf(w->sample, sizeof w->sample, "%s", mask);
}

/* A card context word ends at to: count the cards just before it. */
static void
dlp_on_card_context(struct dlp_stream *st, uint64_t to)
{
	struct dlp_scan	*s = st->scan;
	size_t		 i;

	st->card_context = to;
	for (i = 0; i < s->nweak; i++) {
		if (!s->weak[i].counted && s->weak[i].stream == st->kind &&
		    s->weak[i].end <= to && to - s->weak[i].end <=
		    DLP_CARD_NEAR + 32) {
			s->weak[i].counted = true;
			dlp_count_card(s, s->weak[i].hash, s->weak[i].sample);
		}
	}
}

static void
dlp_count_ssn(struct dlp_scan *s, const char *digits)
{
	if (!dlp_seen_add(s, dlp_hash('S', digits, 9)))
		return;
	if (s->nssn++ == 0)
		dlp_ssn_mask(digits, s->ssn_sample, sizeof s->ssn_sample);
}

/* An SSN-shaped number: counted if a context word is near, else pending. */
static void
dlp_ssn_hit(struct dlp_stream *st, const char *digits, uint64_t end)
{
	if (!dlp_ssn_valid(digits))
		return;
	if (st->ssn_context != 0 &&
	    end - st->ssn_context <= DLP_SSN_NEAR + 11) {
		dlp_count_ssn(st->scan, digits);
		return;
	}
	if (st->npending == DLP_SSN_PENDING) {
		memmove(st->pending, st->pending + 1,
		    (DLP_SSN_PENDING - 1) * sizeof st->pending[0]);
		st->npending--;
	}
	st->pending[st->npending].end = end;
	memcpy(st->pending[st->npending].digits, digits, 10);
	st->npending++;
}

/* An SSN context word: count the SSNs seen just before it. */
static void
dlp_on_ssn_context(struct dlp_stream *st, uint64_t to)
{
	size_t	i;

	for (i = 0; i < st->npending; i++) {
		if (to - st->pending[i].end <= DLP_SSN_NEAR + 20)
			dlp_count_ssn(st->scan, st->pending[i].digits);
	}
	st->npending = 0;
	st->ssn_context = to;
}

/*
 * A run of digits and separators ended at stream offset end (after: the
 * byte that ended it, -1 at the end of the body). Find its start, split
 * it into groups and look for cards and SSNs in it. A run longer than the
 * history is read in its last DLP_HIST bytes.
 */
static void
dlp_on_run(struct dlp_stream *st, uint64_t end, int after)
{
	struct dlp_run		r;
	struct dlp_card		cards[DLP_RUN_CARDS];
	struct dlp_ssn_hit	ssns[DLP_RUN_SSNS];
	char			w[DLP_HIST];
	size_t			n, b, i, nc;
	uint64_t		wstart;
	bool			at_start;

	n = dlp_window(st, end, DLP_WIN_SHORT, w, &at_start);
	for (b = n; b > 0 && dlp_run_bytes[(unsigned char)w[b - 1]]; b--)
		;
	if (b == 0 && !at_start && n == DLP_WIN_SHORT) {
		n = dlp_window(st, end, sizeof w, w, &at_start);
		for (b = n; b > 0 && dlp_run_bytes[(unsigned char)w[b - 1]];
		    b--)
			;
	}
	if (b > 0)
		/* the byte before the run tells if it is glued */
		b--;
	wstart = end - (n - b);
	dlp_run_split((unsigned char *)w + b, n - b, b == 0 && !at_start, after,
	    &r);
	if (r.ngroups == 0)
		return;
	nc = dlp_card_find(&r, cards, DLP_RUN_CARDS);
	for (i = 0; i < nc; i++) {
		st->scan->card_shaped++;
		if (!cards[i].valid)
			continue;
		st->scan->card_valid++;
		dlp_card_hit(st, &cards[i],
		    wstart + r.groups[cards[i].last].end);
	}
	nc = dlp_run_ssns(&r, ssns, DLP_RUN_SSNS);
	for (i = 0; i < nc; i++)
		dlp_ssn_hit(st, ssns[i].digits,
		    wstart + r.groups[ssns[i].last].end);
}

/* "ssn ... 123456789": the nine digits right before the end. */
static void
dlp_on_ssn_keyed(struct dlp_stream *st, uint64_t end)
{
	char	w[10];
	size_t	n;
	bool	at_start;

	n = dlp_window(st, end, 9, w, &at_start);
	if (n != 9)
		return;
	w[9] = '\0';
	if (dlp_ssn_valid(w))
		dlp_count_ssn(st->scan, w);
}

/* Validate the IBAN that may start at stream offset start (bytes to to). */
static void
dlp_iban_check(struct dlp_stream *st, uint64_t start, uint64_t to)
{
	struct dlp_scan	*s = st->scan;
	char		 w[DLP_IBAN_SPAN], iban[DLP_IBAN_MAX + 1], mask[40];
	size_t		 n;
	bool		 at_start;

	n = dlp_window(st, to, (size_t)(to - start), w, &at_start);
	if (dlp_iban_take(w, n, iban) == 0 ||
	    !dlp_seen_add(s, dlp_hash('I', iban, strlen(iban))))
		return;
	if (s->niban++ == 0) {
		dlp_mask(iban, strlen(iban), 2, 4, mask, sizeof mask);
		snprintf(s->iban_sample, sizeof s->iban_sample, "%s", mask);
	}
}

/*
 * An IBAN head, not preceded by a letter or digit. The rest of the chunk is
 * at hand, so it is validated at once unless the IBAN may run past the
 * chunk's end; then it waits for the next chunk (dlp_iban_flush).
 */
static void
dlp_on_iban(struct dlp_stream *st, uint64_t to)
{
	char		w[10];
	size_t		n, p;
	uint64_t	start;
	bool		at_start;

	n = dlp_window(st, to, sizeof w, w, &at_start);
	if (n < 8)
		return;
	p = n >= 9 && (w[n - 5] == ' ' || w[n - 5] == '-') ? n - 9 : n - 8;
	if (p == 0 ? !at_start : dlp_isalnum((unsigned char)w[p - 1]))
		return;
	start = to - (n - p);
	if (start + DLP_IBAN_SPAN <= st->base + st->chunklen) {
		dlp_iban_check(st, start, start + DLP_IBAN_SPAN);
		return;
	}
	if ((st->npending_iban > 0 &&
	    st->iban_pending[st->npending_iban - 1] == start) ||
	    st->npending_iban == DLP_IBAN_PENDING)
		return;
	st->iban_pending[st->npending_iban++] = start;
}

/*
 * Validate the pending IBAN heads whose longest possible extent ends by
 * stream offset upto (all of them at the end of the body).
 */
static void
dlp_iban_flush(struct dlp_stream *st, uint64_t upto, bool final)
{
	size_t		i, k;
	uint64_t	start, to;

	for (i = 0; i < st->npending_iban; i++) {
		start = st->iban_pending[i];
		to = start + DLP_IBAN_SPAN;
		if (to > upto) {
			if (!final)
				break;
			to = upto;
		}
		dlp_iban_check(st, start, to);
	}
	for (k = 0; i < st->npending_iban; i++, k++)
		st->iban_pending[k] = st->iban_pending[i];
	st->npending_iban = k;
}

/* A dictionary term: regexes count once per run of adjacent ends. */
static void
dlp_on_term(struct dlp_stream *st, size_t t, uint64_t to)
{
	struct dlp_scan		*s = st->scan;
	const struct dlp_term	*term = s->db->terms[t];
	size_t			 d = s->db->term_dict[t];
	uint64_t		 last = s->term_last[t];

	if (!s->dict_on[d])
		return;
	s->term_last[t] = to;
	if (term->kind == DLP_TERM_REGEX && last != 0 && last + 1 == to)
		return;
	if (s->dict_count[d]++ == 0)
		s->dict_first[d] = term;
}

/*
 * The byte that ended a hit whose pattern ends with "(?:[^...]|$)": the
 * last byte of the match, or none (-1) when the "$" branch matched, which
 * happens only while the stream closes.
 */
static int
dlp_hit_after(const struct dlp_stream *st, uint64_t to, uint64_t *end)
{
	char	c;
	bool	at_start;

	if (st->closing) {
		*end = to;
		return -1;
	}
	*end = to - 1;
	if (dlp_window(st, to, 1, &c, &at_start) != 1)
		return -1;
	return (unsigned char)c;
}

static int
dlp_on_match(unsigned id, unsigned long long from, unsigned long long to,
    unsigned flags, void *ctx)
{
	struct dlp_stream	*st = ctx;
	uint64_t		 end;
	int			 after;

	switch (id) {
	case DLP_ID_RUN:
	case DLP_ID_RUN_WIDE:
		after = dlp_hit_after(st, to, &end);
		dlp_on_run(st, end, after);
		break;
	case DLP_ID_SSN_CONTEXT:
	case DLP_ID_SSN_CONTEXT_CS:
		dlp_on_ssn_context(st, to);
		break;
	case DLP_ID_SSN_KEYED:
		dlp_hit_after(st, to, &end);
		dlp_on_ssn_keyed(st, end);
		break;
	case DLP_ID_CARD_CONTEXT:
		dlp_on_card_context(st, to);
		break;
	case DLP_ID_IBAN:
		dlp_on_iban(st, to);
		break;
	default:
		if (id >= DLP_ID_DICT &&
		    id - DLP_ID_DICT < st->scan->db->nterms)
			dlp_on_term(st, id - DLP_ID_DICT, to);
		break;
	}
	return 0;
}

static bool
dlp_dict_wanted(const struct engine_profile *p, const char *name)
{
	const char *const	*n;

	if (p->dictionaries == NULL)
		return true;
	for (n = p->dictionaries; *n != NULL; n++) {
		if (strcmp(*n, name) == 0)
			return true;
	}
	return false;
}

/* An idle slot, or a new one with a clone of the prototype scratch. */
static struct dlp_slot *
dlp_slot_take(struct dlp_db *db)
{
	struct dlp_slot	*slot;

	pthread_mutex_lock(&db->lock);
	if ((slot = db->idle) != NULL)
		db->idle = slot->next;
	pthread_mutex_unlock(&db->lock);
	if (slot != NULL)
		return slot;
	if ((slot = malloc(sizeof *slot)) == NULL)
		return NULL;
	slot->scratch = NULL;
	if (hs_clone_scratch(db->scratch, &slot->scratch) != HS_SUCCESS) {
		free(slot);
		return NULL;
	}
	return slot;
}

static void
dlp_slot_give(struct dlp_db *db, struct dlp_slot *slot)
{
	pthread_mutex_lock(&db->lock);
	slot->next = db->idle;
	db->idle = slot;
	pthread_mutex_unlock(&db->lock);
}

/*
 * Start one body (or archive member). seen points to the tree's table of
 * counted numbers (made on first use, freed by the caller with
 * dlp_seen_free); NULL gives the scan its own. Returns the scan, or NULL
 * with *cause.
 */
struct dlp_scan *
dlp_scan_begin(struct dlp_db *db, const struct engine_profile *p,
    struct dlp_seen **seen, char **cause)
{
	struct dlp_scan	*s;
	size_t		 d, nd = db->ndicts + 1, k;

	if ((s = calloc(1, sizeof *s)) == NULL)
		goto nomem;
	s->db = db;
	s->seen = seen != NULL ? seen : &s->own_seen;
	for (k = 0; k < DLP_NSTREAMS; k++) {
		s->streams[k].scan = s;
		s->streams[k].kind = (unsigned)k;
	}
	s->dict_on = calloc(nd, sizeof *s->dict_on);
	s->dict_count = calloc(nd, sizeof *s->dict_count);
	s->dict_first = calloc(nd, sizeof *s->dict_first);
	s->term_last = calloc(db->nterms + 1, sizeof *s->term_last);
	if (s->dict_on == NULL || s->dict_count == NULL ||
	    s->dict_first == NULL || s->term_last == NULL)
		goto nomem;
	for (d = 0; d < db->ndicts; d++)
		s->dict_on[d] = dlp_dict_wanted(p, db->dicts[d].name);
	if ((s->slot = dlp_slot_take(db)) == NULL)
		goto nomem;
	if (hs_open_stream(db->hs, 0, &s->streams[DLP_RAW].hs) != HS_SUCCESS)
		goto nomem;
	return s;
nomem:
	cause_set(cause, "dlp: out of memory");
	dlp_scan_free(s);
	return NULL;
}

/* Scan one chunk of one stream (opened on first use); 0, or -1 with *cause. */
int
dlp_scan_feed(struct dlp_scan *s, enum dlp_stream_kind kind, const void *buf,
    size_t len, char **cause)
{
	struct dlp_stream	*st = &s->streams[kind];
	hs_error_t		 rc;

	if (len == 0)
		return 0;
	if (st->hs == NULL &&
	    hs_open_stream(s->db->hs, 0, &st->hs) != HS_SUCCESS) {
		cause_set(cause, "dlp: out of memory");
		return -1;
	}
	st->chunk = buf;
	st->chunklen = len;
	rc = hs_scan_stream(st->hs, buf, (unsigned)len, 0, s->slot->scratch,
	    dlp_on_match, st);
	if (rc != HS_SUCCESS) {
		cause_set(cause, "dlp: vectorscan error %d", rc);
		return -1;
	}
	if (st->npending_iban > 0)
		dlp_iban_flush(st, st->base + len, false);
	engine_tail_keep(st->hist, &st->hlen, DLP_HIST, buf, len);
	st->base += len;
	st->chunk = NULL;
	st->chunklen = 0;
	return 0;
}

static unsigned
dlp_threshold(unsigned t)
{
	return t == 0 ? 1 : t;
}

/*
 * Is a finding already certain (a kind over its threshold)? Counts only
 * grow, so what is certain now stays so; cards that wait for context or
 * for other cards are not counted yet.
 */
bool
dlp_scan_certain(const struct dlp_scan *s, const struct engine_profile *p)
{
	size_t	d;

	if (s->ncard >= dlp_threshold(p->card_threshold) ||
	    s->nssn >= dlp_threshold(p->ssn_threshold) ||
	    s->niban >= dlp_threshold(p->iban_threshold))
		return true;
	for (d = 0; d < s->db->ndicts; d++) {
		if (s->dict_count[d] > 0 &&
		    s->dict_count[d] >= s->db->dicts[d].threshold)
			return true;
	}
	return false;
}

/*
 * The cards without context, at the end: they count when the body is a
 * list of cards, at least two different valid ones and at least half of
 * the card-shaped numbers valid (of random identifiers about one in ten
 * passes Luhn).
 */
static void
dlp_corroborate(struct dlp_scan *s)
{
	size_t	i, distinct = s->weak_lost;

	for (i = 0; i < s->nweak; i++)
		distinct += !s->weak[i].counted;
	if (distinct == 0 || distinct + s->ncard < 2 ||
	    s->card_valid * 2 < s->card_shaped)
		return;
	for (i = 0; i < s->nweak; i++) {
		if (!s->weak[i].counted) {
			s->weak[i].counted = true;
			dlp_count_card(s, s->weak[i].hash, s->weak[i].sample);
		}
	}
	s->ncard += s->weak_lost;
	s->weak_lost = 0;
}

static int
dlp_stream_close(struct dlp_scan *s, struct dlp_stream *st, char **cause)
{
	hs_error_t	rc;

	if (st->hs == NULL)
		return 0;
	st->closing = true;
	rc = hs_close_stream(st->hs, s->slot->scratch, dlp_on_match, st);
	st->hs = NULL;
	if (rc != HS_SUCCESS) {
		cause_set(cause, "dlp: vectorscan error %d", rc);
		return -1;
	}
	dlp_iban_flush(st, st->base, true);
	return 0;
}

/* Close the streams (end-anchored hits fire here) and add the findings. */
int
dlp_scan_end(struct dlp_scan *s, struct engine_result *r,
    const struct engine_profile *p, char **cause)
{
	const struct dlp_dict	*dict;
	char			 type[48], sample[ENGINE_SAMPLE_MAX];
	size_t			 d, k;

	for (k = 0; k < DLP_NSTREAMS; k++) {
		if (dlp_stream_close(s, &s->streams[k], cause) != 0)
			return -1;
	}
	dlp_corroborate(s);
	if (s->ncard >= dlp_threshold(p->card_threshold))
		engine_result_add(r, "dlp", "credit_card", s->ncard,
		    DLP_SEV_CARD, s->card_sample);
	if (s->nssn >= dlp_threshold(p->ssn_threshold))
		engine_result_add(r, "dlp", "us_ssn", s->nssn, DLP_SEV_SSN,
		    s->ssn_sample);
	if (s->niban >= dlp_threshold(p->iban_threshold))
		engine_result_add(r, "dlp", "iban", s->niban, DLP_SEV_IBAN,
		    s->iban_sample);
	for (d = 0; d < s->db->ndicts; d++) {
		dict = &s->db->dicts[d];
		if (s->dict_count[d] == 0 || s->dict_count[d] < dict->threshold)
			continue;
		snprintf(type, sizeof type, "dict:%s", dict->name);
		if (s->dict_first[d]->kind == DLP_TERM_REGEX)
			snprintf(sample, sizeof sample, "/%s/",
			    s->dict_first[d]->text);
		else
			snprintf(sample, sizeof sample, "%s",
			    s->dict_first[d]->text);
		engine_result_add(r, "dlp", type, s->dict_count[d],
		    dict->severity, sample);
	}
	return 0;
}

void
dlp_scan_free(struct dlp_scan *s)
{
	size_t	k;

	if (s == NULL)
		return;
	for (k = 0; k < DLP_NSTREAMS; k++) {
		if (s->streams[k].hs != NULL)
			hs_close_stream(s->streams[k].hs, NULL, NULL, NULL);
	}
	if (s->slot != NULL)
		dlp_slot_give(s->db, s->slot);
	dlp_seen_free(s->own_seen);
	free(s->dict_on);
	free(s->dict_count);
	free(s->dict_first);
	free(s->term_last);
	free(s);
}
