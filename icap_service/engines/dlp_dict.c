/*
 * Custom DLP dictionaries: one "NAME.dict" file each in the dictionary
 * directory, a line-oriented format (documented in sslinspect-engines(7)):
 *
 *	# comment
 *	severity 3		1 low .. 4 critical (default 2)
 *	threshold 2		matches in one body before it counts (default 1)
 *	keyword internal use only	literal, case-insensitive
 *	keyword-cs ACME-RESTRICTED	literal, case-sensitive
 *	regex PRJ-[0-9]{4}		Vectorscan regular expression
 *
 * Parsing is pure (dlp_dict_parse); dlp_dict_load_dir reads the files.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cause.h"
#include "dlp.h"

#define DLP_DICT_FILE_MAX	(1024 * 1024)
#define DLP_DICT_NAME_MAX	40

static const struct {
	const char		*word;
	enum dlp_term_kind	 kind;
} dlp_dict_kinds[] = {
	{ "keyword", DLP_TERM_KEYWORD },
	{ "keyword-cs", DLP_TERM_KEYWORD_CS },
	{ "regex", DLP_TERM_REGEX },
};

static bool
dlp_dict_name_ok(const char *name)
{
	size_t	i, n = strlen(name);

	if (n == 0 || n > DLP_DICT_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		if (strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.", name[i]) == NULL)
			return false;
	}
	return true;
}

static int
dlp_dict_add(struct dlp_dict *d, enum dlp_term_kind kind, const char *text,
    char **cause)
{
	struct dlp_term	*t;

	t = reallocarray(d->terms, d->nterms + 1, sizeof *d->terms);
	if (t == NULL) {
		cause_set(cause, "out of memory");
		return -1;
	}
	d->terms = t;
	if ((t[d->nterms].text = strdup(text)) == NULL) {
		cause_set(cause, "out of memory");
		return -1;
	}
	t[d->nterms++].kind = kind;
	return 0;
}

/* One line, already without its newline and trailing blanks. */
static int
dlp_dict_line(struct dlp_dict *d, char *line, char **cause)
{
	char	*word = line, *arg, *end;
	long	 v;
	size_t	 i;

	arg = word + strcspn(word, " \t");
	if (*arg != '\0')
		*arg++ = '\0';
	arg += strspn(arg, " \t");
	if (*arg == '\0') {
		cause_set(cause, "\"%s\" needs a value", word);
		return -1;
	}
	if (strcmp(word, "severity") == 0 || strcmp(word, "threshold") == 0) {
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno != 0 || *end != '\0' || v < 1 ||
		    v > (word[0] == 's' ? 4 : 1000000)) {
			cause_set(cause, "bad %s \"%s\"", word, arg);
			return -1;
		}
		if (word[0] == 's')
			d->severity = (int)v;
		else
			d->threshold = (unsigned)v;
		return 0;
	}
	for (i = 0; i < sizeof dlp_dict_kinds / sizeof dlp_dict_kinds[0]; i++) {
		if (strcmp(word, dlp_dict_kinds[i].word) == 0)
			return (dlp_dict_add(d, dlp_dict_kinds[i].kind, arg,
			    cause));
	}
	cause_set(cause, "unknown directive \"%s\"", word);
	return -1;
}

/*
 * Parse one dictionary's text into *d (freed with dlp_dict_free). Returns
 * 0, or -1 with *cause naming the line.
 */
int
dlp_dict_parse(const char *name, const char *text, size_t len,
    struct dlp_dict *d, char **cause)
{
	char	*copy = NULL, *line, *next, *e;
	size_t	 lineno = 0;
	int	 rc = -1;

	memset(d, 0, sizeof *d);
	d->severity = 2;
	d->threshold = 1;
	if (!dlp_dict_name_ok(name)) {
		cause_set(cause, "bad dictionary name \"%s\"", name);
		return -1;
	}
	if ((d->name = strdup(name)) == NULL ||
	    (copy = strndup(text, len)) == NULL) {
		cause_set(cause, "out of memory");
		goto out;
	}
	if (strlen(copy) != len) {
		cause_set(cause, "%s: NUL byte in dictionary", name);
		goto out;
	}
	for (line = copy; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line += strspn(line, " \t");
		e = line + strlen(line);
		while (e > line && strchr(" \t\r", e[-1]) != NULL)
			*--e = '\0';
		if (*line == '\0' || *line == '#')
			continue;
		if (dlp_dict_line(d, line, cause) != 0) {
			cause_prefix(cause, "%s.dict line %zu", name, lineno);
			goto out;
		}
	}
	if (d->nterms == 0) {
		cause_set(cause, "%s.dict: no keyword or regex", name);
		goto out;
	}
	rc = 0;
out:
	free(copy);
	if (rc != 0)
		dlp_dict_clear(d);
	return rc;
}

static int
dlp_dict_filter(const struct dirent *de)
{
	size_t	n = strlen(de->d_name);

	return (n > 5 && de->d_name[0] != '.' &&
	    strcmp(de->d_name + n - 5, ".dict") == 0);
}

static char *
dlp_dict_read(int dirfd, const char *file, size_t *len, char **cause)
{
	struct stat	 st;
	char		*buf = NULL;
	ssize_t		 n;
	int		 fd;

	if ((fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC)) == -1) {
		cause_set(cause, "%s: %s", file, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > DLP_DICT_FILE_MAX) {
		cause_set(cause, "%s: not a regular file under 1 MiB", file);
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		cause_set(cause, "out of memory");
		goto out;
	}
	n = read(fd, buf, (size_t)st.st_size);
	if (n != st.st_size) {
		cause_set(cause, "%s: short read", file);
		free(buf);
		buf = NULL;
		goto out;
	}
	*len = (size_t)n;
out:
	close(fd);
	return buf;
}

/*
 * Load every *.dict in dir, in name order. Returns 0 with the array in
 * *dicts (free with dlp_dict_free), or -1 with *cause.
 */
int
dlp_dict_load_dir(const char *dir, struct dlp_dict **dicts, size_t *ndicts,
    char **cause)
{
	struct dirent	**names = NULL;
	struct dlp_dict	 *out = NULL;
	char		 *text, stem[DLP_DICT_NAME_MAX + 1];
	size_t		  len = 0, nout = 0;
	int		  n, i, dirfd = -1, rc = -1;

	*dicts = NULL;
	*ndicts = 0;
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (n = scandir(dir, &names, dlp_dict_filter, alphasort)) == -1) {
		cause_set(cause, "dictionary directory %s: %s", dir,
		    strerror(errno));
		goto out;
	}
	if ((out = calloc((size_t)n + 1, sizeof *out)) == NULL) {
		cause_set(cause, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		snprintf(stem, sizeof stem, "%.*s",
		    (int)(strlen(names[i]->d_name) - 5), names[i]->d_name);
		if ((text = dlp_dict_read(dirfd, names[i]->d_name, &len,
		    cause)) == NULL)
			goto out;
		rc = dlp_dict_parse(stem, text, len, &out[nout], cause);
		free(text);
		if (rc != 0)
			goto out;
		nout++;
		rc = -1;
	}
	*dicts = out;
	*ndicts = nout;
	out = NULL;
	rc = 0;
out:
	dlp_dict_free(out, nout);
	for (i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
	if (dirfd != -1)
		close(dirfd);
	return rc;
}

/* Free what one dictionary holds, not the struct itself. */
void
dlp_dict_clear(struct dlp_dict *d)
{
	size_t	t;

	for (t = 0; t < d->nterms; t++)
		free(d->terms[t].text);
	free(d->terms);
	free(d->name);
	memset(d, 0, sizeof *d);
}

/* Free an array of n dictionaries from dlp_dict_load_dir. */
void
dlp_dict_free(struct dlp_dict *d, size_t n)
{
	size_t	i;

	if (d == NULL)
		return;
	for (i = 0; i < n; i++)
		dlp_dict_clear(&d[i]);
	free(d);
}

/* The Vectorscan expression for a term (keywords escaped); caller frees. */
char *
dlp_dict_regex(const struct dlp_term *t)
{
	char	*re, *p;
	size_t	 i, n = strlen(t->text);

	if (t->kind == DLP_TERM_REGEX)
		return strdup(t->text);
	if ((re = malloc(n * 4 + 1)) == NULL)
		return NULL;
	for (i = 0, p = re; i < n; i++) {
		if ((t->text[i] >= 'a' && t->text[i] <= 'z') ||
		    (t->text[i] >= 'A' && t->text[i] <= 'Z') ||
		    (t->text[i] >= '0' && t->text[i] <= '9'))
			*p++ = t->text[i];
		else
			p += snprintf(p, (size_t)(re + n * 4 + 1 - p),
			    "\\x%02x", (unsigned char)t->text[i]);
	}
	*p = '\0';
	return re;
}
