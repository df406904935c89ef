/*
 * DLP matching with Vectorscan in streaming mode: every pattern runs in one
 * pass over each decoded chunk, and the stream state carries partial
 * matches across chunk boundaries, so nothing is rescanned. A hit only says
 * "look here"; the validators decide, on the bytes around the hit, which
 * come from the current chunk or from the short history kept of the
 * previous ones.
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
	DLP_ID_SSN,
	DLP_ID_SSN_DASH_AFTER,
	DLP_ID_SSN_CONTEXT,
	DLP_ID_IBAN,
	DLP_ID_DICT = 1000	/* + index of the dictionary term */
};

#define DLP_HIST		128	/* bytes of earlier chunks kept */
#define DLP_SSN_NEAR		100	/* context word to SSN distance */
#define DLP_SSN_PENDING		8
#define DLP_IBAN_RECENT		4
#define DLP_IBAN_PENDING	8
#define DLP_IBAN_SPAN		(DLP_IBAN_MAX + 8 + 1)	/* spaces, next byte */
#define DLP_SEV_CARD		4
#define DLP_SEV_SSN		4
#define DLP_SEV_IBAN		3

/*
 * The built-in patterns. A hit only marks where a candidate ends; the
 * validators find its extent in the bytes before and decide.
 *
 * Cards and SSNs: one pattern for the end of any run of 11 or more digits,
 * spaces and dashes (followed by a byte that ends it, or the end of the
 * body), reported once where the run really ends; the card and SSN
 * validators both look at that end. Exact shapes per card layout and SSN
 * format cost twice as much on text with many numbers (a space-separated
 * SSN shape fires on every space), and the validators check the shapes
 * anyway. Two SSN forms a run would hide get their own patterns, both
 * anchored on a dash (rare, so cheap): a dashed SSN followed by a space
 * and digits, and a spaced one followed by a dash and digits.
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
	{ "\\d[0-9 -]{9,}\\d(?:[^0-9 -]|[ -][^0-9]|$)", DLP_ID_RUN, 0 },
	{ "\\d{3}-\\d{2}-\\d{4}(?:[^0-9-]|-[^0-9]|$)", DLP_ID_SSN, 0 },
	{ "\\d{3} \\d{2} \\d{4}-(?:\\d|$)", DLP_ID_SSN_DASH_AFTER, 0 },
	{ "\\bssns?\\b|\\bsocial[ _-]?security\\b|\\bsoc\\.? ?sec\\b|"
	    "\\bss ?#", DLP_ID_SSN_CONTEXT, HS_FLAG_CASELESS },
	/* Only the head of an IBAN: the rest is read once it has arrived. */
	{ "[A-Z]{2}\\d{2} ?[A-Z0-9]{4}", DLP_ID_IBAN, 0 },
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

struct dlp_ssn_pending {
	uint64_t	end;
	char		digits[10];
};

struct dlp_scan {
	struct dlp_db		*db;
	hs_stream_t		*stream;
	struct dlp_slot		*slot;

	const unsigned char	*chunk;		/* being scanned */
	size_t			 chunklen;
	uint64_t		 base;		/* stream offset of chunk */
	unsigned char		 hist[DLP_HIST];	/* ends at base */
	size_t			 hlen;

	unsigned		 ncard, nssn, niban;
	char			 card_sample[ENGINE_SAMPLE_MAX];
	char			 ssn_sample[ENGINE_SAMPLE_MAX];
	char			 iban_sample[ENGINE_SAMPLE_MAX];
	uint64_t		 card_end, ssn_end;	/* last counted */
	uint64_t		 iban_pending[DLP_IBAN_PENDING];	/* starts */
	size_t			 npending_iban;

	uint64_t		 context_end;		/* 0: none seen */
	struct dlp_ssn_pending	 pending[DLP_SSN_PENDING];
	size_t			 npending;

	bool			*dict_on;
	unsigned		*dict_count;
	const struct dlp_term	**dict_first;
	uint64_t		*term_last;
};

static bool
dlp_isdigit(int c)
{
	return (c >= '0' && c <= '9');
}

static bool
dlp_isalnum(int c)
{
	return (dlp_isdigit(c) || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'));
}

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
	return (rc);
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
		return (NULL);
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
	return (db);
fail:
	dlp_db_free(db);
	return (NULL);
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
	return (db->ndicts);
}

/*
 * Copy the (at most want) bytes that end at stream offset to into buf.
 * Returns how many; *at_start tells whether they begin the stream.
 */
static size_t
dlp_window(const struct dlp_scan *s, uint64_t to, size_t want, char *buf,
    bool *at_start)
{
	size_t		in_chunk, from_hist, n;
	uint64_t	first;

	if (to < s->base)
		to = s->base;
	in_chunk = (size_t)(to - s->base);
	if (in_chunk > s->chunklen)
		in_chunk = s->chunklen;
	if (in_chunk >= want) {
		memcpy(buf, s->chunk + in_chunk - want, want);
		*at_start = (to == want);
		return (want);
	}
	from_hist = want - in_chunk;
	if (from_hist > s->hlen)
		from_hist = s->hlen;
	memcpy(buf, s->hist + s->hlen - from_hist, from_hist);
	if (in_chunk > 0)
		memcpy(buf + from_hist, s->chunk, in_chunk);
	n = from_hist + in_chunk;
	first = s->base - from_hist;
	*at_start = (first == 0);
	return (n);
}

/* A card hit: find the whole run of digits and separators, then validate. */
static void
dlp_on_card(struct dlp_scan *s, uint64_t to)
{
	char	w[64], digits[DLP_CARD_DIGITS_MAX + 1], mask[32];
	size_t	n, e, b, nd;
	bool	at_start;

	n = dlp_window(s, to, sizeof w, w, &at_start);
	for (e = n; e > 0 && n - e < 2 && !dlp_isdigit(w[e - 1]); e--)
		;
	if (e == 0 || !dlp_isdigit(w[e - 1]))
		return;
	for (b = e; b > 0; b--) {
		if (dlp_isdigit(w[b - 1]))
			continue;
		if ((w[b - 1] == ' ' || w[b - 1] == '-') && b >= 2 &&
		    dlp_isdigit(w[b - 2]))
			continue;
		break;
	}
	if (e - b > 30 || (b == 0 && !at_start) ||
	    (b > 0 && dlp_isalnum((unsigned char)w[b - 1])))
		return;
	if (s->card_end == to - (n - e) || !dlp_card_valid(w + b, e - b,
	    digits, &nd))
		return;
	s->card_end = to - (n - e);
	if (s->ncard++ == 0) {
		dlp_mask(digits, nd, 0, 4, mask, sizeof mask);
		snprintf(s->card_sample, sizeof s->card_sample, "%s", mask);
	}
}

static void
dlp_count_ssn(struct dlp_scan *s, const char *digits)
{
	if (s->nssn++ == 0)
		dlp_ssn_mask(digits, s->ssn_sample, sizeof s->ssn_sample);
}

/* An SSN-shaped hit: counted if a context word is near, else kept pending. */
static void
dlp_on_ssn(struct dlp_scan *s, uint64_t to)
{
	char		 w[24], digits[10];
	size_t		 n, e;
	uint64_t	 end;
	bool		 at_start;

	n = dlp_window(s, to, sizeof w, w, &at_start);
	for (e = n; e > 0 && n - e < 2 && !dlp_isdigit(w[e - 1]); e--)
		;
	if (e < 11 || dlp_ssn_parse(w + e - 11, 11, digits) != 0)
		return;
	if (e == 11 && !at_start)
		return;
	if (e > 11 && (dlp_isalnum((unsigned char)w[e - 12]) ||
	    ((w[e - 12] == '-' || w[e - 12] == ' ' || w[e - 12] == '.') &&
	    e > 12 && dlp_isdigit(w[e - 13]))))
		return;
	end = to - (n - e);
	if (end == s->ssn_end || !dlp_ssn_valid(digits))
		return;
	s->ssn_end = end;
	if (s->context_end != 0 && end - s->context_end <= DLP_SSN_NEAR + 11) {
		dlp_count_ssn(s, digits);
		return;
	}
	if (s->npending == DLP_SSN_PENDING) {
		memmove(s->pending, s->pending + 1,
		    (DLP_SSN_PENDING - 1) * sizeof s->pending[0]);
		s->npending--;
	}
	s->pending[s->npending].end = end;
	memcpy(s->pending[s->npending].digits, digits, sizeof digits);
	s->npending++;
}

/* A context word: count the SSNs seen just before it. */
static void
dlp_on_ssn_context(struct dlp_scan *s, uint64_t to)
{
	size_t	i;

	for (i = 0; i < s->npending; i++) {
		if (to - s->pending[i].end <= DLP_SSN_NEAR + 20)
			dlp_count_ssn(s, s->pending[i].digits);
	}
	s->npending = 0;
	s->context_end = to;
}

/* Validate the IBAN that may start at stream offset start (bytes to to). */
static void
dlp_iban_check(struct dlp_scan *s, uint64_t start, uint64_t to)
{
	char	w[DLP_IBAN_SPAN], iban[DLP_IBAN_MAX + 1], mask[40];
	size_t	n;
	bool	at_start;

	n = dlp_window(s, to, (size_t)(to - start), w, &at_start);
	if (dlp_iban_take(w, n, iban) == 0)
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
dlp_on_iban(struct dlp_scan *s, uint64_t to)
{
	char		w[10];
	size_t		n, p;
	uint64_t	start;
	bool		at_start;

	n = dlp_window(s, to, sizeof w, w, &at_start);
	if (n < 8)
		return;
	p = n >= 9 && w[n - 5] == ' ' ? n - 9 : n - 8;
	if (p == 0 ? !at_start : dlp_isalnum((unsigned char)w[p - 1]))
		return;
	start = to - (n - p);
	if (start + DLP_IBAN_SPAN <= s->base + s->chunklen) {
		dlp_iban_check(s, start, start + DLP_IBAN_SPAN);
		return;
	}
	if ((s->npending_iban > 0 &&
	    s->iban_pending[s->npending_iban - 1] == start) ||
	    s->npending_iban == DLP_IBAN_PENDING)
		return;
	s->iban_pending[s->npending_iban++] = start;
}

/*
 * Validate the pending IBAN heads whose longest possible extent ends by
 * stream offset upto (all of them at the end of the body).
 */
static void
dlp_iban_flush(struct dlp_scan *s, uint64_t upto, bool final)
{
	size_t		i, k;
	uint64_t	start, to;

	for (i = 0; i < s->npending_iban; i++) {
		start = s->iban_pending[i];
		to = start + DLP_IBAN_SPAN;
		if (to > upto) {
			if (!final)
				break;
			to = upto;
		}
		dlp_iban_check(s, start, to);
	}
	for (k = 0; i < s->npending_iban; i++, k++)
		s->iban_pending[k] = s->iban_pending[i];
	s->npending_iban = k;
}

/* A dictionary term: regexes count once per run of adjacent ends. */
static void
dlp_on_term(struct dlp_scan *s, size_t t, uint64_t to)
{
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

static int
dlp_on_match(unsigned id, unsigned long long from, unsigned long long to,
    unsigned flags, void *ctx)
{
	struct dlp_scan	*s = ctx;

	switch (id) {
	case DLP_ID_RUN:
		dlp_on_card(s, to);
		dlp_on_ssn(s, to);
		break;
	case DLP_ID_SSN:
		dlp_on_ssn(s, to);
		break;
	case DLP_ID_SSN_DASH_AFTER:
		/*
		 * As if it ended at the dash: one byte back, unless this is
		 * the end of the body (the "$" branch, when the stream closes).
		 */
		dlp_on_ssn(s, s->chunk == NULL ? to : to - 1);
		break;
	case DLP_ID_SSN_CONTEXT:
		dlp_on_ssn_context(s, to);
		break;
	case DLP_ID_IBAN:
		dlp_on_iban(s, to);
		break;
	default:
		if (id >= DLP_ID_DICT && id - DLP_ID_DICT < s->db->nterms)
			dlp_on_term(s, id - DLP_ID_DICT, to);
		break;
	}
	return (0);
}

static bool
dlp_dict_wanted(const struct engine_profile *p, const char *name)
{
	const char *const	*n;

	if (p->dictionaries == NULL)
		return (true);
	for (n = p->dictionaries; *n != NULL; n++) {
		if (strcmp(*n, name) == 0)
			return (true);
	}
	return (false);
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
		return (slot);
	if ((slot = malloc(sizeof *slot)) == NULL)
		return (NULL);
	slot->scratch = NULL;
	if (hs_clone_scratch(db->scratch, &slot->scratch) != HS_SUCCESS) {
		free(slot);
		return (NULL);
	}
	return (slot);
}

static void
dlp_slot_give(struct dlp_db *db, struct dlp_slot *slot)
{
	pthread_mutex_lock(&db->lock);
	slot->next = db->idle;
	db->idle = slot;
	pthread_mutex_unlock(&db->lock);
}

/* Start one body. Returns the scan, or NULL with *cause. */
struct dlp_scan *
dlp_scan_begin(struct dlp_db *db, const struct engine_profile *p, char **cause)
{
	struct dlp_scan	*s;
	size_t		 d, nd = db->ndicts + 1;

	if ((s = calloc(1, sizeof *s)) == NULL)
		goto nomem;
	s->db = db;
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
	if (hs_open_stream(db->hs, 0, &s->stream) != HS_SUCCESS)
		goto nomem;
	return (s);
nomem:
	cause_set(cause, "dlp: out of memory");
	dlp_scan_free(s);
	return (NULL);
}

/* Scan one chunk; 0, or -1 with *cause. */
int
dlp_scan_feed(struct dlp_scan *s, const void *buf, size_t len, char **cause)
{
	hs_error_t	rc;

	if (len == 0)
		return (0);
	s->chunk = buf;
	s->chunklen = len;
	rc = hs_scan_stream(s->stream, buf, (unsigned)len, 0,
	    s->slot->scratch, dlp_on_match, s);
	if (rc != HS_SUCCESS) {
		cause_set(cause, "dlp: vectorscan error %d", rc);
		return (-1);
	}
	if (s->npending_iban > 0)
		dlp_iban_flush(s, s->base + len, false);
	engine_tail_keep(s->hist, &s->hlen, DLP_HIST, buf, len);
	s->base += len;
	s->chunk = NULL;
	s->chunklen = 0;
	return (0);
}

static unsigned
dlp_threshold(unsigned t)
{
	return (t == 0 ? 1 : t);
}

/* Close the stream (end-anchored hits fire here) and add the findings. */
int
dlp_scan_end(struct dlp_scan *s, struct engine_result *r,
    const struct engine_profile *p, char **cause)
{
	const struct dlp_dict	*dict;
	char			 type[48], sample[ENGINE_SAMPLE_MAX];
	size_t			 d;
	hs_error_t		 rc;

	rc = hs_close_stream(s->stream, s->slot->scratch, dlp_on_match, s);
	s->stream = NULL;
	if (rc != HS_SUCCESS) {
		cause_set(cause, "dlp: vectorscan error %d", rc);
		return (-1);
	}
	dlp_iban_flush(s, s->base, true);
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
	return (0);
}

void
dlp_scan_free(struct dlp_scan *s)
{
	if (s == NULL)
		return;
	if (s->stream != NULL)
		hs_close_stream(s->stream, NULL, NULL, NULL);
	if (s->slot != NULL)
		dlp_slot_give(s->db, s->slot);
	free(s->dict_on);
	free(s->dict_count);
	free(s->dict_first);
	free(s->term_last);
	free(s);
}
