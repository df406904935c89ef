/*
 * Category lookup benchmark: builds a database of N domains (default
 * 5,000,000, spread over 10 categories, names shaped like real ones) and
 * times lookups of host names the way the helper and the service make
 * them: a host and its parent domains, a mix of listed, listed-parent and
 * unlisted names. Prints the build time, the file size and µs per lookup.
 *
 *	categories_bench [-n DOMAINS] [-l LOOKUPS] [-d FILE]
 */
#include "config.h"

#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "categories.h"

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Domain i: a deterministic name like "k3x9q2-17.example-tld". */
static void
name(uint64_t i, char *out, size_t len)
{
	static const char *const tld[] = { "com", "net", "org", "de", "fr",
	    "co.uk", "info", "io" };
	uint64_t	 s = i * 2654435761u + 1;
	char		 lab[24];
	int		 n, k;

	n = 6 + (int)(rnd(&s) % 10);
	for (k = 0; k < n; k++)
		lab[k] = "abcdefghijklmnopqrstuvwxyz0123456789"[rnd(&s) % 36];
	lab[n] = '\0';
	snprintf(out, len, "%s%llu.%s", lab, (unsigned long long)i,
	    tld[i % 8]);
}

int
main(int argc, char **argv)
{
	struct catdb_build	*b;
	struct catdb		*db;
	struct stat		 st;
	char			 path[256], host[300], n1[256],
	    out[CAT_MAXVALUE];
	char			*cause = NULL, cat[16];
	uint64_t		 ndom = 5000000, nlook = 2000000, i,
	    s = 88172645;
	uint64_t		 hits = 0;
	double			 t0, t1;
	int			 c, cats[10], k, kind;

	snprintf(path, sizeof path, "/tmp/categories_bench.%ld.mdb",
	    (long)getpid());
	while ((c = getopt(argc, argv, "n:l:d:")) != -1) {
		switch (c) {
		case 'n':
			ndom = strtoull(optarg, NULL, 10);
			break;
		case 'l':
			nlook = strtoull(optarg, NULL, 10);
			break;
		case 'd':
			snprintf(path, sizeof path, "%s", optarg);
			break;
		default:
			fprintf(stderr, "usage: categories_bench [-n DOMAINS] "
			    "[-l LOOKUPS] [-d FILE]\n");
			return 2;
		}
	}
	t0 = now();
	b = catdb_build_new();
	for (k = 0; k < 10; k++) {
		snprintf(cat, sizeof cat, "cat%d", k);
		cats[k] = catdb_build_category(b, cat);
	}
	for (i = 0; i < ndom; i++) {
		name(i, n1, sizeof n1);
		if (catdb_build_add(b, cats[i % 10], CATLIST_DOMAINS,
		    n1) != 0 ||
		    (i % 7 == 0 && catdb_build_add(b, cats[(i + 3) % 10],
		    CATLIST_DOMAINS, n1) != 0)) {
			fprintf(stderr, "out of memory\n");
			return 1;
		}
	}
	if (catdb_build_write(b, path, "bench", &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		return 1;
	}
	catdb_build_free(b);
	t1 = now();
	stat(path, &st);
	printf("built %llu domains in %.1f s, %.0f MB\n",
	    (unsigned long long)ndom, t1 - t0, st.st_size / 1e6);
	if ((db = catdb_open(path, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		return 1;
	}
	/* Warm the page cache as a running helper would have it. */
	for (i = 0; i < ndom; i += 64) {
		name(i, n1, sizeof n1);
		catdb_host(db, n1, out, sizeof out);
	}
	for (kind = 0; kind < 3; kind++) {
		t0 = now();
		hits = 0;
		for (i = 0; i < nlook; i++) {
			name(rnd(&s) % ndom, n1, sizeof n1);
			if (kind == 0)
				snprintf(host, sizeof host, "%s", n1);
			else if (kind == 1)
				snprintf(host, sizeof host, "www.cdn.%s", n1);
			else
				snprintf(host, sizeof host, "www.x%s", n1);
			if (catdb_host(db, host, out, sizeof out) > 0)
				hits++;
		}
		t1 = now();
		printf("%-28s %8.3f us per lookup (%llu of %llu found)\n",
		    kind == 0 ? "listed name:" : kind == 1 ?
		    "subdomain of a listed name:" : "unlisted name:",
		    (t1 - t0) * 1e6 / nlook, (unsigned long long)hits,
		    (unsigned long long)nlook);
	}
	catdb_close(db);
	unlink(path);
	return 0;
}
