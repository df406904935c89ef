/*
 * Data loss prevention: the Vectorscan database (built-in patterns plus the
 * administrator's dictionaries), one stream per body, and the validators
 * that turn a pattern hit into a finding (Luhn, issuer ranges, SSN area
 * rules, IBAN country length and mod-97).
 */
#ifndef SSLINSPECT_DLP_H
#define SSLINSPECT_DLP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

#define DLP_CARD_DIGITS_MAX	19
#define DLP_IBAN_MAX		34
#define DLP_RUN_GROUPS		64

/*
 * A run of digits and separators, as dlp_run_split reads it: groups of
 * digits (full-width digits as ASCII) and what separates each from the
 * previous one (sep: the character, 'n' for a no-break or other space,
 * 'm' for mixed; seplen: how many). off and end are byte offsets in the
 * bytes given.
 */
struct dlp_group {
	unsigned short	 dstart;	/* first digit in digits[] */
	unsigned short	 ndigits;
	unsigned short	 off, end;
	char		 sep;
	unsigned char	 seplen;
};
struct dlp_run {
	char		 digits[256];
	size_t		 ndigits;
	struct dlp_group groups[DLP_RUN_GROUPS];
	size_t		 ngroups;
	bool		 cut;		/* may have begun before the bytes */
	bool		 glued_before;	/* a letter right before it */
	bool		 glued_after;	/* a letter right after it */
};
struct dlp_card {
	char		 digits[DLP_CARD_DIGITS_MAX + 1];
	size_t		 ndigits;
	size_t		 first, last;	/* its groups in the run */
	bool		 valid;		/* Luhn, issuer, not one digit */
	bool		 strong;	/* printed as cards are, or expiry */
	/* an expiry date follows: counts alone */
	bool		 expiry;
};
struct dlp_ssn_hit {
	char		 digits[10];
	size_t		 last;		/* its last group in the run */
};

/* dlp_card.c */
bool		 dlp_card_luhn(const char *digits, size_t n);
const char	*dlp_card_issuer(const char *digits, size_t n);
void		 dlp_run_split(const unsigned char *, size_t n, bool cut,
			int after, struct dlp_run *);
size_t		 dlp_card_find(const struct dlp_run *, struct dlp_card *,
			size_t max);
size_t		 dlp_run_ssns(const struct dlp_run *, struct dlp_ssn_hit *,
			size_t max);
bool		 dlp_card_valid(const char *run, size_t len, char *digits,
			size_t *ndigits, bool *strong);
void		 dlp_mask(const char *, size_t n, size_t head, size_t tail,
			char *out, size_t outlen);

/* dlp_ssn.c */
int		 dlp_ssn_parse(const char *s, size_t len, char *digits);
bool		 dlp_ssn_valid(const char *digits);
void		 dlp_ssn_mask(const char *digits, char *out, size_t outlen);

/* dlp_iban.c */
int		 dlp_iban_length(const char *country);
bool		 dlp_iban_mod97(const char *iban, size_t n);
size_t		 dlp_iban_take(const char *p, size_t len, char *iban);

/* dlp_dict.c: one *.dict file; see sslinspect-engines(7). */
enum dlp_term_kind {
	DLP_TERM_KEYWORD = 0,	/* literal, case-insensitive */
	DLP_TERM_KEYWORD_CS,	/* literal, case-sensitive */
	DLP_TERM_REGEX		/* Vectorscan (PCRE subset) */
};
struct dlp_term {
	enum dlp_term_kind	 kind;
	char			*text;
};
struct dlp_dict {
	char		*name;		/* file name without ".dict" */
	int		 severity;	/* 1 .. 4 */
	unsigned	 threshold;	/* matches before it counts, >= 1 */
	struct dlp_term	*terms;
	size_t		 nterms;
};
int	dlp_dict_parse(const char *name, const char *text, size_t len,
	    struct dlp_dict *, char **cause);
int	dlp_dict_load_dir(const char *dir, struct dlp_dict **, size_t *,
	    char **cause);
void	dlp_dict_clear(struct dlp_dict *);
void	dlp_dict_free(struct dlp_dict *, size_t);
char	*dlp_dict_regex(const struct dlp_term *);

/* dlp.c */
struct dlp_db;
struct dlp_scan;
struct dlp_seen;

/* What a scan's bytes are: the body as it is, or text extracted from it. */
enum dlp_stream_kind {
	DLP_RAW = 0,
	DLP_TEXT,
	DLP_NSTREAMS
};

struct dlp_db	*dlp_db_load(const char *dictionary_dir, char **cause);
void		 dlp_db_free(struct dlp_db *);
size_t		 dlp_db_ndicts(const struct dlp_db *);

struct dlp_seen	*dlp_seen_new(void);
void		 dlp_seen_free(struct dlp_seen *);

struct dlp_scan	*dlp_scan_begin(struct dlp_db *, const struct engine_profile *,
			struct dlp_seen **, char **cause);
int		 dlp_scan_feed(struct dlp_scan *, enum dlp_stream_kind,
			const void *, size_t, char **cause);
bool		 dlp_scan_certain(const struct dlp_scan *,
			const struct engine_profile *);
int		 dlp_scan_end(struct dlp_scan *, struct engine_result *,
			const struct engine_profile *, char **cause);
void		 dlp_scan_free(struct dlp_scan *);

#endif
