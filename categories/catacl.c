/*
 * Squid's external_acl_type helper protocol for category splicing, one
 * request line at a time (the I/O is sslinspect-category-acl's main):
 *
 *	[CHANNEL] SNI CONNECT-HOST MODE [CATEGORY ...]
 *
 * each field %-encoded by Squid, SNI "-" when the ClientHello named none.
 * Modes:
 *	splice CAT...	OK category_=C for the first listed C that holds both
 *			the SNI and the CONNECT host (the SNI alone is the
 *			client's word; see sslinspect-bump.conf), else ERR
 *	spoofed CAT...	OK category_=C when the SNI is in a listed C but no
 *			listed category holds both names, else ERR
 *	lookup		OK category_=A,B: the CONNECT host's categories
 *	destination	OK when the CONNECT host is an address literal and the
 *			SNI resolves (system resolver) to that very address,
 *			else ERR: on an intercepting port, where Squid
 *			connects to the client's original destination, the
 *			proof that the SNI names the site really reached
 *			(see sslinspect-bump.conf). Needs no database.
 *	version-below V	(the SNI field holds the highest TLS version the
 *			client offers, %ssl::>received_supported_version, such
 *			as TLS/1.1) OK when that version is below TLS V (1.2),
 *			SSL/3.0 being below any; ERR when it is not or unknown
 * A name without SNI stands for itself in both places (destination: ERR,
 * there is nothing to verify). Without a database every other answer is
 * ERR with a message, so nothing is spliced by category.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "categories.h"

#define CATACL_MAXARGS	64

static int
catacl_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Undo Squid's %-encoding in place. */
static void
catacl_unescape(char *s)
{
	char	*o = s;
	int	 h, l;

	for (; *s != '\0'; s++) {
		if (*s == '%' && (h = catacl_hex((unsigned char)s[1])) >= 0 &&
		    (l = catacl_hex((unsigned char)s[2])) >= 0) {
			*o++ = (char)(h * 16 + l);
			s += 2;
		} else
			*o++ = *s;
	}
	*o = '\0';
}

/*
 * Does name resolve to the address literal addr (IPv4, or IPv6 with or
 * without brackets)? Returns 1 when one of its addresses is addr, 0 when
 * none is, when addr is not a literal or when name does not resolve.
 * Blocks for as long as the resolver takes.
 */
static int
catacl_resolves_to(const char *name, const char *addr)
{
	struct addrinfo	 hints, *res, *ai;
	struct in_addr	 v4;
	struct in6_addr	 v6;
	char		 buf[INET6_ADDRSTRLEN + 2];
	size_t		 len = strlen(addr);
	int		 family, found = 0;

	if (len >= 2 && addr[0] == '[' && addr[len - 1] == ']' &&
	    len - 2 < sizeof buf) {
		memcpy(buf, addr + 1, len - 2);
		buf[len - 2] = '\0';
		addr = buf;
	}
	if (inet_pton(AF_INET, addr, &v4) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, addr, &v6) == 1)
		family = AF_INET6;
	else
		return 0;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(name, NULL, &hints, &res) != 0)
		return 0;
	for (ai = res; ai != NULL && !found; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET && family == AF_INET)
			found = memcmp(&((struct sockaddr_in *)(void *)
			    ai->ai_addr)->sin_addr, &v4, sizeof v4) == 0;
		else if (ai->ai_family == AF_INET6 && family == AF_INET6)
			found = memcmp(&((struct sockaddr_in6 *)(void *)
			    ai->ai_addr)->sin6_addr, &v6, sizeof v6) == 0;
	}
	freeaddrinfo(res);
	return found;
}

/*
 * Is the version v ("TLS/1.1", "SSL/3.0", as Squid prints them) below TLS
 * min ("1.2")? Returns 1 when it is, 0 when not or when either is not a
 * version.
 */
static int
catacl_version_below(const char *v, const char *min)
{
	unsigned int	 vmaj, vmin, mmaj, mmin;
	char		 c;

	if (sscanf(min, "%u.%u%c", &mmaj, &mmin, &c) != 2)
		return 0;
	if (strncmp(v, "SSL/", 4) == 0)
		return 1;
	if (strncmp(v, "TLS/", 4) != 0 ||
	    sscanf(v + 4, "%u.%u%c", &vmaj, &vmin, &c) != 2)
		return 0;
	return vmaj < mmaj || (vmaj == mmaj && vmin < mmin);
}

/*
 * Answer one request line (without its newline; modified) into out, with
 * the newline. channel: the line starts with Squid's channel id
 * (concurrency= above 0). Returns 0, or -1 when out is too small.
 */
int
catacl_answer(struct catdb *db, bool channel, char *line, char *out,
    size_t outlen)
{
	char		*arg[CATACL_MAXARGS], *p, *id = NULL;
	char		 sc[CAT_MAXVALUE], dc[CAT_MAXVALUE];
	const char	*sni, *dst, *mode, *found = NULL, *msg = NULL;
	int		 n = 0, i, j, w;

	p = line;
	while (n < CATACL_MAXARGS) {
		p += strspn(p, " \t\r");
		if (*p == '\0')
			break;
		arg[n++] = p;
		p += strcspn(p, " \t\r");
		if (*p != '\0')
			*p++ = '\0';
	}
	i = 0;
	if (channel && n > 0)
		id = arg[i++];
	for (j = i; j < n; j++)
		catacl_unescape(arg[j]);
	if (n - i < 3) {
		msg = "expected SNI, CONNECT host and a mode";
		goto err;
	}
	sni = arg[i];
	dst = arg[i + 1];
	mode = arg[i + 2];
	if (*sni == '\0' || strcmp(sni, "-") == 0)
		sni = dst;
	if (strcmp(mode, "version-below") == 0) {
		if (n - i < 4 || !catacl_version_below(arg[i], arg[i + 3]))
			goto err;
		w = snprintf(out, outlen, "%s%sOK\n", id ? id : "",
		    id ? " " : "");
		return w < 0 || (size_t)w >= outlen ? -1 : 0;
	}
	if (strcmp(mode, "destination") == 0) {
		if (sni == dst || !catacl_resolves_to(sni, dst))
			goto err;
		w = snprintf(out, outlen, "%s%sOK\n", id ? id : "",
		    id ? " " : "");
		return w < 0 || (size_t)w >= outlen ? -1 : 0;
	}
	if (db == NULL) {
		msg = "no category database";
		goto err;
	}
	if (catdb_host(db, dst, dc, sizeof dc) < 0 ||
	    (sni != dst && catdb_host(db, sni, sc, sizeof sc) < 0)) {
		msg = "category database error";
		goto err;
	}
	if (sni == dst)
		memcpy(sc, dc, sizeof sc);
	if (strcmp(mode, "lookup") == 0) {
		if (dc[0] == '\0')
			goto err;
		found = dc;
	} else if (strcmp(mode, "splice") == 0 ||
	    strcmp(mode, "spoofed") == 0) {
		for (j = i + 3; j < n && found == NULL; j++)
			if (catlist_csv_has(sc, arg[j]) &&
			    catlist_csv_has(dc, arg[j]))
				found = arg[j];
		if (strcmp(mode, "spoofed") == 0) {
			if (found != NULL)
				goto err;	/* spliced, not spoofed */
			for (j = i + 3; j < n && found == NULL; j++)
				if (catlist_csv_has(sc, arg[j]))
					found = arg[j];
		}
		if (found == NULL)
			goto err;
	} else {
		msg = "unknown mode (splice, spoofed, lookup, destination or "
		    "version-below)";
		goto err;
	}
	w = snprintf(out, outlen, "%s%sOK category_=%s\n", id ? id : "",
	    id ? " " : "", found);
	return w < 0 || (size_t)w >= outlen ? -1 : 0;
err:
	if (msg != NULL)
		w = snprintf(out, outlen, "%s%sERR message=\"%s\"\n",
		    id ? id : "", id ? " " : "", msg);
	else
		w = snprintf(out, outlen, "%s%sERR\n", id ? id : "",
		    id ? " " : "");
	return w < 0 || (size_t)w >= outlen ? -1 : 0;
}
