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

/* dlp_card.c */
bool		 dlp_card_luhn(const char *digits, size_t n);
const char	*dlp_card_issuer(const char *digits, size_t n);
int		 dlp_card_parse(const char *run, size_t len, char *digits,
		     size_t *ndigits);
bool		 dlp_card_valid(const char *run, size_t len, char *digits,
		     size_t *ndigits);
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

struct dlp_db	*dlp_db_load(const char *dictionary_dir, char **cause);
void		 dlp_db_free(struct dlp_db *);
size_t		 dlp_db_ndicts(const struct dlp_db *);

struct dlp_scan	*dlp_scan_begin(struct dlp_db *, const struct engine_profile *,
		     char **cause);
int		 dlp_scan_feed(struct dlp_scan *, const void *, size_t,
		     char **cause);
int		 dlp_scan_end(struct dlp_scan *, struct engine_result *,
		     const struct engine_profile *, char **cause);
void		 dlp_scan_free(struct dlp_scan *);

#endif
