/*
 * Name constraints: the do-not-inspect list (the exclude-list setting)
 * becomes a critical nameConstraints extension with one excluded DNS
 * subtree per domain in every issuing CA, so that a leaf for such a domain
 * never verifies, even if one were minted.
 *
 * The list is the file Squid splices by: one domain per line, a leading
 * dot for "and its subdomains", # comments. Parsing (ca_nc_parse) is pure;
 * ca_nc_load reads the file, ca_nc_add writes the extension.
 *
 * Which form goes into the certificate. An excluded dNSName "example.com"
 * covers example.com itself and every name ending in ".example.com" in
 * OpenSSL (nc_dns), NSS (compareDNSN2C), GnuTLS (dnsname_matches) and
 * Chromium's verifier alike. The dotted form ".example.com" covers the
 * subdomains only: all four accept a leaf for example.com under it
 * (measured with OpenSSL 3.0, NSS vfychain, GnuTLS certtool 3.7 and
 * Chromium 156 on Debian 12; tests/integration/cases/255 checks the bare
 * form). So both forms of a list entry are written bare: ".bank.example"
 * and "bank.example" both exclude bank.example and all below it. A bare
 * entry, which Squid splices for that one host only, thus excludes its
 * subdomains as well, which is the safe side. GnuTLS compares names
 * case-sensitively, so names are written in lowercase (leaves are too).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "cause.h"

/* Longest DNS name (RFC 1035: 255 octets on the wire, 253 as text). */
#define CA_NC_NAME_MAX	253
#define CA_NC_LABEL_MAX	63

/* The longest line read, a name with its dot and some blanks or a comment. */
#define CA_NC_LINE_MAX	1024

/* Free the names; nc may then be parsed into again. */
void
ca_nc_free(struct ca_nc *nc)
{
	size_t	i;

	for (i = 0; i < nc->n; i++)
		free(nc->names[i]);
	free(nc->names);
	nc->names = NULL;
	nc->n = 0;
}

/* Is the name (lowercase, no leading dot) acceptable? NULL, or why not. */
static const char *
ca_nc_check(const char *name)
{
	const char	*p, *label = name;
	int		 digits = 1;

	if (*name == '\0')
		return "empty name (a dot alone would exclude every name)";
	if (strlen(name) > CA_NC_NAME_MAX)
		return "name longer than 253 characters";
	for (p = name; *p != '\0'; p++) {
		if ((unsigned char)*p >= 0x80)
			return "non-ASCII name: list an IDN in its A-label "
			    "(xn--) form";
		if (*p == '*')
			return "wildcard: list the domain with a leading dot "
			    "instead (.example.com)";
		if (*p == ':' || *p == '[' || *p == ']' || *p == '/')
			return "IP address or network: only DNS names can be "
			    "excluded";
	}
	for (p = name;; p++) {
		if (*p != '.' && *p != '\0') {
			if ((*p < 'a' || *p > 'z') && (*p < '0' || *p > '9') &&
			    *p != '-' && *p != '_')
				return "character not allowed in a DNS name "
				    "(letters, digits, - and _)";
			continue;
		}
		if (p == label)
			return "empty label (two dots, or a trailing dot)";
		if (p - label > CA_NC_LABEL_MAX)
			return "label longer than 63 characters";
		if (*p == '\0')
			break;
		label = p + 1;
	}
	for (p = name; *p != '\0'; p++)
		if (*p != '.' && (*p < '0' || *p > '9'))
			digits = 0;
	if (digits)
		return "IP address: only DNS names can be excluded";
	return NULL;
}

/* Add a name unless it is there already; 0 or -1 (memory, or too many). */
static int
ca_nc_append(struct ca_nc *nc, const char *name, int *full)
{
	char	**names;
	size_t	  i;

	for (i = 0; i < nc->n; i++)
		if (strcmp(nc->names[i], name) == 0)
			return 0;
	if (nc->n >= CA_NC_MAX) {
		*full = 1;
		return -1;
	}
	if ((names = reallocarray(nc->names, nc->n + 1, sizeof *names)) ==
	    NULL)
		return -1;
	nc->names = names;
	if ((nc->names[nc->n] = strdup(name)) == NULL)
		return -1;
	nc->n++;
	return 0;
}

/*
 * Parse a do-not-inspect list (file names it in messages) into nc, which
 * the caller zeroes first and frees with ca_nc_free (also on error): one
 * domain per line, # to the end of the line a comment, blank lines
 * ignored, ".example.com" and "example.com" alike (see the top of this
 * file), lowercased, duplicates dropped. Returns 0, or -1 with a cause
 * naming the file and line.
 */
int
ca_nc_parse(struct ca_nc *nc, const char *file, const char *buf, size_t len,
    char **cause)
{
	char		 line[CA_NC_LINE_MAX], *name, *end, *p;
	const char	*why;
	size_t		 start = 0, i, n;
	unsigned	 lineno = 0;
	int		 full = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && buf[i] != '\n')
			continue;
		lineno++;
		n = i - start;
		if (n >= sizeof line) {
			cause_set(cause, "%s, line %u: line too long", file,
			    lineno);
			return -1;
		}
		memcpy(line, buf + start, n);
		line[n] = '\0';
		start = i + 1;
		if (memchr(line, '\0', n) != NULL) {
			cause_set(cause, "%s, line %u: NUL byte", file, lineno);
			return -1;
		}
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		name = line + strspn(line, " \t\r");
		end = name + strcspn(name, " \t\r");
		if (*(end + strspn(end, " \t\r")) != '\0') {
			cause_set(cause, "%s, line %u: more than one name on "
			    "the line", file, lineno);
			return -1;
		}
		*end = '\0';
		if (*name == '\0')
			continue;
		if (*name == '.')
			name++;
		for (p = name; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		if ((why = ca_nc_check(name)) != NULL) {
			cause_set(cause, "%s, line %u: \"%.64s\": %s", file,
			    lineno, line + strspn(line, " \t\r"), why);
			return -1;
		}
		if (ca_nc_append(nc, name, &full) == -1) {
			if (full)
				cause_set(cause, "%s, line %u: more than %d "
				    "names (each one makes every issuing CA, "
				    "sent in each handshake, larger)", file,
				    lineno, CA_NC_MAX);
			else
				cause_set(cause, "%s: out of memory", file);
			return -1;
		}
	}
	return 0;
}

/* Read and parse the list file path into nc (see ca_nc_parse). */
int
ca_nc_load(struct ca_nc *nc, const char *path, char **cause)
{
	char	*buf = NULL;
	size_t	 len = 0;
	int	 rv;

	if (ca_store_read(path, &buf, &len, cause) == -1)
		return -1;
	rv = ca_nc_parse(nc, path, buf, len, cause);
	free(buf);
	if (rv == -1)
		ca_nc_free(nc);
	return rv;
}

/*
 * Add a critical nameConstraints extension with nc's names as excluded
 * DNS subtrees to x (before it is signed). Nothing when nc has no names.
 * 0, or -1 with a cause.
 */
int
ca_nc_add(X509 *x, const struct ca_nc *nc, char **cause)
{
	NAME_CONSTRAINTS	*ncs = NULL;
	GENERAL_SUBTREE		*st = NULL;
	GENERAL_NAME		*gn;
	ASN1_IA5STRING		*s;
	size_t			 i;
	int			 rv = -1;

	if (nc->n == 0)
		return 0;
	if ((ncs = NAME_CONSTRAINTS_new()) == NULL ||
	    (ncs->excludedSubtrees = sk_GENERAL_SUBTREE_new_null()) == NULL)
		goto out;
	for (i = 0; i < nc->n; i++) {
		if ((st = GENERAL_SUBTREE_new()) == NULL ||
		    (s = ASN1_IA5STRING_new()) == NULL)
			goto out;
		if (!ASN1_STRING_set(s, nc->names[i], -1) ||
		    (gn = GENERAL_NAME_new()) == NULL) {
			ASN1_IA5STRING_free(s);
			goto out;
		}
		GENERAL_NAME_set0_value(gn, GEN_DNS, s);
		GENERAL_NAME_free(st->base);
		st->base = gn;
		if (!sk_GENERAL_SUBTREE_push(ncs->excludedSubtrees, st))
			goto out;
		st = NULL;
	}
	if (X509_add1_ext_i2d(x, NID_name_constraints, ncs, 1,
	    X509V3_ADD_REPLACE) != 1)
		goto out;
	rv = 0;
out:
	if (rv == -1) {
		cause_set(cause, "cannot add nameConstraints: %s",
		    ERR_reason_error_string(ERR_peek_last_error()) != NULL ?
		    ERR_reason_error_string(ERR_peek_last_error()) :
		    "out of memory");
		ERR_clear_error();
	}
	GENERAL_SUBTREE_free(st);
	NAME_CONSTRAINTS_free(ncs);
	return rv;
}
