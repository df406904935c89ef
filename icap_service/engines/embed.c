/*
 * Literal signatures anywhere in a body, in one Vectorscan stream of
 * literals per body (a pass costs less than a memmem per signature; a
 * match split between chunks is found too):
 *
 * - the EICAR anti-virus test string, also 3 MB deep or across chunks,
 *   without libclamav;
 * - archives embedded in other files, found as virus scanners find them:
 *   the signature of an archive or compressed stream anywhere (a zip
 *   appended to an image or to an executable stub, a gzip stream after
 *   padding, a zip after the end of a tar). Where each starts is noted;
 *   the fields that follow it are checked when they are at hand, so
 *   random bytes rarely pass. The engines then try libarchive at each
 *   place (engine.c).
 */
#include "config.h"

#include <hs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cause.h"
#include "embed.h"
#include "malware.h"

static const struct {
	const char	*re;
	unsigned char	 len;		/* bytes of the signature */
	/* a compressed stream, not an archive */
	bool		 filter;
	const char	*name;
} embed_sigs[] = {
	[EMBED_ZIP] = { "PK\\x03\\x04", 4, false, "zip" },
	[EMBED_RAR] = { "Rar!\\x1a\\x07", 6, false, "rar" },
	[EMBED_7Z] = { "7z\\xbc\\xaf\\x27\\x1c", 6, false, "7z" },
	[EMBED_CAB] = { "MSCF\\x00\\x00\\x00\\x00", 8, false, "cab" },
	[EMBED_AR] = { "!<arch>\\n", 8, false, "ar" },
	[EMBED_XAR] = { "xar!\\x00\\x1c", 6, false, "xar" },
	[EMBED_GZIP] = { "\\x1f\\x8b\\x08", 3, true, "gzip" },
	[EMBED_XZ] = { "\\xfd7zXZ\\x00", 6, true, "xz" },
	[EMBED_BZIP2] = { "BZh[1-9]1AY&SY", 10, true, "bzip2" },
	[EMBED_ZSTD] = { "\\x28\\xb5\\x2f\\xfd", 4, true, "zstd" },
	[EMBED_LZ4] = { "\\x04\\x22\\x4d\\x18", 4, true, "lz4" },
	[EMBED_LZIP] = { "LZIP\\x01", 5, true, "lzip" },
	[EMBED_EICAR] = { NULL, MALWARE_EICAR_LEN, false, "eicar" },
};
#define EMBED_NSIGS	(sizeof embed_sigs / sizeof embed_sigs[0])

struct embed_slot {
	hs_scratch_t		*scratch;
	struct embed_slot	*next;
};

struct embed_db {
	hs_database_t		*hs;
	hs_scratch_t		*scratch;
	pthread_mutex_t		 lock;
	struct embed_slot	*idle;
};

struct embed_scan {
	struct embed_db		*db;
	struct embed_slot	*slot;
	hs_stream_t		*stream;
	const unsigned char	*chunk;
	size_t			 chunklen;
	uint64_t		 base;
	bool			 archives;	/* note archive signatures */
	bool			 eicar;
	struct embed_hit	*hits;
	size_t			 nhits, cap;
	unsigned		 dropped;
};

/* Returns the compiled signatures, or NULL with *cause. */
struct embed_db *
embed_db_load(char **cause)
{
	const char		*res[EMBED_NSIGS];
	unsigned		 ids[EMBED_NSIGS], flags[EMBED_NSIGS];
	hs_compile_error_t	*err = NULL;
	struct embed_db		*db;
	char			 eicar[MALWARE_EICAR_LEN + 1];
	char			 eicar_re[4 * MALWARE_EICAR_LEN + 1];
	size_t			 i;

	if ((db = calloc(1, sizeof *db)) == NULL) {
		cause_set(cause, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&db->lock, NULL);
	/* The test string, every byte escaped: it is full of metacharacters. */
	malware_eicar_string(eicar);
	for (i = 0; i < MALWARE_EICAR_LEN; i++)
		snprintf(eicar_re + 4 * i, 5, "\\x%02x",
		    (unsigned char)eicar[i]);
	for (i = 0; i < EMBED_NSIGS; i++) {
		res[i] = i == EMBED_EICAR ? eicar_re : embed_sigs[i].re;
		ids[i] = (unsigned)i;
		flags[i] = 0;
	}
	if (hs_compile_multi(res, flags, ids, EMBED_NSIGS, HS_MODE_STREAM,
	    NULL, &db->hs, &err) != HS_SUCCESS) {
		cause_set(cause, "vectorscan: %s",
		    err != NULL ? err->message : "compile failed");
		if (err != NULL)
			hs_free_compile_error(err);
		embed_db_free(db);
		return NULL;
	}
	if (hs_alloc_scratch(db->hs, &db->scratch) != HS_SUCCESS) {
		cause_set(cause, "vectorscan: cannot allocate scratch");
		embed_db_free(db);
		return NULL;
	}
	return db;
}

void
embed_db_free(struct embed_db *db)
{
	struct embed_slot	*slot;

	if (db == NULL)
		return;
	while ((slot = db->idle) != NULL) {
		db->idle = slot->next;
		hs_free_scratch(slot->scratch);
		free(slot);
	}
	if (db->scratch != NULL)
		hs_free_scratch(db->scratch);
	if (db->hs != NULL)
		hs_free_database(db->hs);
	pthread_mutex_destroy(&db->lock);
	free(db);
}

bool
embed_is_filter(unsigned kind)
{
	return kind < EMBED_NSIGS && embed_sigs[kind].filter;
}

const char *
embed_name(unsigned kind)
{
	return kind < EMBED_NSIGS ? embed_sigs[kind].name : "?";
}

/*
 * The header fields after a signature, when the chunk holds them: false
 * when they cannot belong to a real archive. p points at the signature,
 * n bytes are at hand.
 */
bool
embed_plausible(unsigned kind, const unsigned char *p, size_t n)
{
	unsigned	method, namelen;

	switch (kind) {
	case EMBED_ZIP:
		if (n < 30)
			return true;
		method = (unsigned)p[8] | (unsigned)p[9] << 8;
		namelen = (unsigned)p[26] | (unsigned)p[27] << 8;
		return (p[4] <= 63 && p[5] == 0 && namelen > 0 &&
		    namelen <= 4096 && (method <= 20 || method == 93 ||
		    method == 95 || method == 96 || method == 97 ||
		    method == 98 || method == 99));
	case EMBED_GZIP:
		if (n < 10)
			return true;
		return ((p[3] & 0xe0) == 0 && (p[8] == 0 || p[8] == 2 ||
		    p[8] == 4) && (p[9] <= 13 || p[9] == 255));
	case EMBED_ZSTD:
		return n < 5 || (p[4] & 0x08) == 0;
	case EMBED_LZ4:
		return n < 5 || ((p[4] & 0xc0) == 0x40 && (p[4] & 0x02) == 0);
	default:
		return true;
	}
}

static int
embed_on_match(unsigned id, unsigned long long from, unsigned long long to,
    unsigned flags, void *ctx)
{
	struct embed_scan	*s = ctx;
	struct embed_hit	*h;
	uint64_t		 start = to - embed_sigs[id].len;
	size_t			 cap;

	if (id == EMBED_EICAR) {
		s->eicar = true;
		return 0;
	}
	if (!s->archives)
		return 0;
	if (start >= s->base && !embed_plausible(id, s->chunk +
	    (start - s->base), s->base + s->chunklen - start))
		return 0;
	if (s->nhits == s->cap) {
		if (s->cap == EMBED_MAX_HITS) {
			s->dropped++;
			return 0;
		}
		cap = s->cap == 0 ? 8 : s->cap * 2;
		if ((h = reallocarray(s->hits, cap, sizeof *h)) == NULL) {
			s->dropped++;
			return 0;
		}
		s->hits = h;
		s->cap = cap;
	}
	s->hits[s->nhits].off = start;
	s->hits[s->nhits].kind = id;
	s->nhits++;
	return 0;
}

/*
 * Start one body; archives says whether archive signatures are wanted
 * (EICAR always is). Returns the scan, or NULL with *cause.
 */
struct embed_scan *
embed_scan_begin(struct embed_db *db, bool archives, char **cause)
{
	struct embed_scan	*s;

	if ((s = calloc(1, sizeof *s)) == NULL)
		goto nomem;
	s->db = db;
	s->archives = archives;
	pthread_mutex_lock(&db->lock);
	if ((s->slot = db->idle) != NULL)
		db->idle = s->slot->next;
	pthread_mutex_unlock(&db->lock);
	if (s->slot == NULL) {
		if ((s->slot = calloc(1, sizeof *s->slot)) == NULL)
			goto nomem;
		if (hs_clone_scratch(db->scratch, &s->slot->scratch) !=
		    HS_SUCCESS)
			goto nomem;
	}
	if (hs_open_stream(db->hs, 0, &s->stream) != HS_SUCCESS)
		goto nomem;
	return s;
nomem:
	cause_set(cause, "embed: out of memory");
	embed_scan_free(s);
	return NULL;
}

/* Look at the next bytes; 0, or -1 with *cause. */
int
embed_scan_feed(struct embed_scan *s, const void *buf, size_t len,
    char **cause)
{
	if (len == 0)
		return 0;
	s->chunk = buf;
	s->chunklen = len;
	if (hs_scan_stream(s->stream, buf, (unsigned)len, 0,
	    s->slot->scratch, embed_on_match, s) != HS_SUCCESS) {
		cause_set(cause, "embed: vectorscan error");
		return -1;
	}
	s->base += len;
	s->chunk = NULL;
	s->chunklen = 0;
	return 0;
}

/* Has the EICAR test string been seen? */
bool
embed_scan_eicar(const struct embed_scan *s)
{
	return s->eicar;
}

/* The signatures seen so far, in body order; *dropped: past the table. */
size_t
embed_scan_hits(const struct embed_scan *s, const struct embed_hit **hits,
    unsigned *dropped)
{
	*hits = s->hits;
	if (dropped != NULL)
		*dropped = s->dropped;
	return s->nhits;
}

void
embed_scan_free(struct embed_scan *s)
{
	if (s == NULL)
		return;
	if (s->stream != NULL)
		hs_close_stream(s->stream, NULL, NULL, NULL);
	if (s->slot != NULL) {
		if (s->slot->scratch != NULL) {
			pthread_mutex_lock(&s->db->lock);
			s->slot->next = s->db->idle;
			s->db->idle = s->slot;
			pthread_mutex_unlock(&s->db->lock);
		} else
			free(s->slot);
	}
	free(s->hits);
	free(s);
}
